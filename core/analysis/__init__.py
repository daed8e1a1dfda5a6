"""Content analysis: audio features, video keyframes and visual features, plain-language descriptors.

Versions live here (light import) so the queue can find stale rows without loading librosa/OpenCV.
Bump a version when its analyser's output changes: only that stage is redone (the class and the
descriptors from the stored JSON, without decoding; audio/video by decoding again, most played first).
The tagger's version is core.analysis.tags.TAGS_VERSION (a new one re-tags, decoding again, nothing else).
"""

AUDIO_VERSION = 1
VIDEO_VERSION = 3  # 2: faces per keyframe (keyframes: [{ms, phrases, faces}] in the video features);
# 3: on-screen text per keyframe (core.analysis.ocr: keyframes [{..., text}]), faces on 160 px with a skin gate
DESCRIPTOR_VERSION = 3  # 2: class-aware (no tempo/key for short clips and speech), no contradictory pairs;
# 3: the tagger's phrases that stand out ("jazz", "piano") and moods fused from tags + measured features
CLASS_VERSION = 1  # item_class.classify: music | speech | sound_effect | video, from stored features + tags
