"""Content analysis: audio features, video keyframes and visual features, plain-language descriptors.

Versions live here (light import) so the queue can find stale rows without loading librosa/OpenCV.
Bump a version when its analyser's output changes: only that stage is redone.
"""

AUDIO_VERSION = 1
VIDEO_VERSION = 1
DESCRIPTOR_VERSION = 1
