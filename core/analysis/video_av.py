"""Reading a video's sample frames with PyAV (FFmpeg bundled in its wheels): the other reader beside OpenCV's.

Same samples as core.analysis.video's OpenCV reader (video.Sample, measured by video.measure), so the
scenes, keyframes, poster, faces, features and vector downstream do not care which reader ran.

- Short clips are decoded front to back; only every k-th frame is converted, and straight to the
  thumbnail's size (swscale's area filter does the resize and the colour conversion in one pass, instead
  of a full-size BGR frame that is then shrunk).
- Long videos: at each of the seek points, a keyframe seek (no decoding from the keyframe up to an exact
  frame, which is what OpenCV's CAP_PROP_POS_FRAMES costs: half a GOP per point, up to 125 frames at GOP
  250) with `skip_frame = "NONKEY"`, so the first picture decoded is the keyframe itself; then the decoder
  is switched back to every frame for the 0.25 s burst after it (motion and cuts, as OpenCV's burst).
  A point whose keyframe was already used takes the next keyframe after it (sparse keyframes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

# A damaged stream may throw on some packets and decode others (as OpenCV skips them); after this many
# decoder errors in a row the rest is taken as unreadable.
MAX_ERRORS_IN_A_ROW = 50
# FFmpeg decoder threads for short clips read front to back. Measured (bench/video_decode.py, the reader
# alone, median CPU s, two runs on the shared 2-core machine): bigbuckbunny 720p AUTO 0.70/0.41, FRAME
# 0.68/0.42, SLICE 0.64/0.37, NONE 0.63/0.45; bikes 0.45/0.37, 0.45/0.47, 0.44/0.41, 0.40/0.42: within the
# run-to-run spread. Analysis runs one worker per core, so no decoder threads of its own: NONE.
SEQUENTIAL_THREADS = "NONE"
# After a seek, a keyframe is looked for this many packets at most (a stream whose packets carry no
# keyframe flags gives up the point rather than reading to the end for each one).
MAX_PACKETS_TO_A_KEYFRAME = 3000
# On the way from the keyframe to a seek point, frames nothing refers to are skipped up to this long
# before the point (packets are in decode order, a little ahead of the frames that come out).
APPROACH_MARGIN_S = 0.3


@dataclass
class Reading:
    """What a reader got from one video: the samples and how they were read."""

    samples: list[Any]  # video.Sample
    decoded: int
    mode: str  # "sequential" | "seek"
    fps: float
    frame_count: int
    duration: float  # 0.0 when unknown


class CannotOpen(ValueError):
    """PyAV cannot open the file or finds no video stream in it (another reader may)."""


def _frames(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded frames of `stream` from the container's current position; damaged packets are skipped."""
    import av

    errors = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError):
            errors += 1
            if errors >= MAX_ERRORS_IN_A_ROW:
                return
            continue
        errors = 0
        yield from frames


def _thumb_size(width: int, height: int, thumb_width: int) -> tuple[int, int]:
    if width <= thumb_width:
        return width, height
    return thumb_width, max(1, round(height * thumb_width / width))


def _bgr(frame: Any, size: tuple[int, int]) -> np.ndarray:
    """The frame as a BGR ndarray of `size`, converted and shrunk in one swscale pass."""
    w, h = size
    if frame.width == w and frame.height == h:
        return frame.to_ndarray(format="bgr24")
    return frame.reformat(width=w, height=h, format="bgr24", interpolation="AREA").to_ndarray()


def probe(stream: Any, container: Any, duration_hint: float | None) -> tuple[float, int, float]:
    """(fps, frame count, duration s) from the stream's header; 0 where unknown."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    fps = fps if 0 < fps < 1000 else 25.0
    duration = 0.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    frame_count = int(stream.frames or 0)
    if not 0 < frame_count < 10**8:
        frame_count = int(duration * fps) if duration > 0 else 0
    if not frame_count and duration_hint:
        frame_count, duration = int(duration_hint * fps), float(duration_hint)
    if not duration and frame_count:
        duration = frame_count / fps
    return fps, frame_count, duration


def probe_seconds(path: str) -> float | None:
    """The video stream's length from the container's header (None when PyAV cannot tell)."""
    import av

    try:
        with av.open(path, metadata_errors="ignore") as container:
            if not container.streams.video:
                return None
            return probe(container.streams.video[0], container, None)[2] or None
    except (av.FFmpegError, OSError, ValueError):
        return None


def read(path: str, duration_hint: float | None = None, sequential_up_to_s: float = 60.0,
         threads: str = SEQUENTIAL_THREADS, at_keyframes: bool = False) -> Reading:
    """Sample a video with PyAV: sequentially up to `sequential_up_to_s`, else by seeking (`at_keyframes`:
    the keyframe at or after each point instead of the frame at it). Raises CannotOpen when PyAV cannot
    open the file or finds no video stream in it."""
    import av

    from core.analysis import video

    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise CannotOpen(f"PyAV cannot open this video: {exc}") from exc
    try:
        if not container.streams.video:
            raise CannotOpen("no video stream in the file")
        stream = container.streams.video[0]
        if not stream.codec_context or not stream.codec_context.name:
            raise CannotOpen("no decoder for the video stream")
        fps, frame_count, duration = probe(stream, container, duration_hint)
        if frame_count and duration > sequential_up_to_s:
            stream.thread_type = "SLICE"  # frame threads would hold frames back after every seek
            samples, decoded = _read_seeking(container, stream, fps, frame_count, video, at_keyframes)
            return Reading(samples, decoded, "seek", fps, frame_count, duration)
        if threads:
            stream.thread_type = threads
        samples, decoded = _read_sequential(container, stream, fps, frame_count, video)
        return Reading(samples, decoded, "sequential", fps, frame_count, duration if frame_count else 0.0)
    finally:
        container.close()


def _read_sequential(container: Any, stream: Any, fps: float, frame_count: int,
                     video: Any) -> tuple[list[Any], int]:
    step, limit = video.sequential_plan(fps, frame_count)
    samples = video.SequentialSamples()
    size = None
    index = 0
    for frame in _frames(container, stream):
        if index >= limit + 2:
            break
        if index % step == 0:
            size = size or _thumb_size(frame.width, frame.height, video.THUMB_WIDTH)
            samples.add(_bgr(frame, size), index / fps)
        index += 1
    return samples, index


def _packets_from_keyframe(container: Any, stream: Any, after: int | None) -> Iterator[Any]:
    """Packets from the first keyframe packet (pts past `after`) on; the packets before it are skipped
    unread by the decoder, as `skip_frame = "NONKEY"` would drop them, but the decoder takes every packet
    from the keyframe on: frames after it that it never saw would leave the burst's frames broken."""
    skipped = 0
    started = False
    for packet in container.demux(stream):
        if not started:
            if packet.size == 0:
                return  # end of the file
            if not packet.is_keyframe or packet.pts is None or (after is not None and packet.pts <= after):
                skipped += 1
                if skipped > MAX_PACKETS_TO_A_KEYFRAME:
                    return
                continue
            started = True
        yield packet


def _read_seeking(container: Any, stream: Any, fps: float, frame_count: int, video: Any,
                  at_keyframes: bool = False) -> tuple[list[Any], int]:
    """Seek to evenly spaced points; at each a sample and the 0.25 s burst after it (motion, cuts).

    By default the sample is the frame at the point itself, as OpenCV's reader takes it: from the keyframe
    before it the decoder runs with `skip_frame = "NONREF"` (frames no other frame refers to, B-frames
    mostly, are not decoded) until half a second before the point, then decodes every frame. With
    `at_keyframes` the sample is the keyframe at or after the point (the packets before it are not decoded,
    as `skip_frame = "NONKEY"` would drop them): only that keyframe and its burst are decoded.
    """
    import av
    import cv2

    points = int(np.clip(frame_count / fps / video.SEEK_EVERY_S, video.SEEK_POINTS_MIN, video.SEEK_POINTS_MAX))
    burst = max(2, round(video.BURST_S * fps) + 1)
    burst_s = (burst - 1) / fps
    base = stream.time_base
    start = stream.start_time or 0
    codec = stream.codec_context
    margin = int(APPROACH_MARGIN_S / base)
    samples: list[Any] = []
    decoded = 0
    size = None
    used: int | None = None  # pts of the last keyframe taken (at_keyframes)
    for i in range(points):
        # the same frames as OpenCV's reader aims at (its frame index over frame_count, floored)
        target_s = int((i + 0.5) / points * max(0, frame_count - burst)) / fps
        target = start + int(target_s / base)
        try:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        except (av.FFmpegError, OSError, ValueError):
            continue
        codec.flush_buffers()
        first = last = None
        first_pts = key_pts = None
        # at_keyframes: the keyframe at or after the point (the one before it would be a length-biased pick: the
        # keyframe that starts a long stretch without cuts is the likeliest to precede a point), not one used
        after = max(target - 1, used if used is not None else target - 1) if at_keyframes else None
        packets = _packets_from_keyframe(container, stream, after)
        try:
            for packet in packets:
                if key_pts is None:
                    key_pts = packet.pts
                    if at_keyframes:
                        target = key_pts
                approaching = packet.pts is not None and packet.pts < target - margin
                codec.skip_frame = "NONREF" if approaching else "DEFAULT"
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError):
                    continue
                for frame in frames:
                    decoded += 1
                    if frame.pts is None:
                        continue
                    if first is None:
                        if frame.pts >= target - base_half(base, fps):
                            first, first_pts = frame, frame.pts
                    elif float((frame.pts - first_pts) * base) >= burst_s - 0.5 / fps:
                        last = frame
                        break
                if last is not None:
                    break
        except (av.FFmpegError, ValueError):
            pass
        finally:
            codec.skip_frame = "DEFAULT"
        if first is None or first_pts is None:
            continue
        used = key_pts
        t = float((first_pts - start) * base)
        size = size or _thumb_size(first.width, first.height, video.THUMB_WIDTH)
        thumb = _bgr(first, size)
        sample = video.measure(thumb, t)
        # The burst's inner frames are decoded, not converted; the last is compared with the first: motion
        # over 0.25 s, and a cut if the look changed (at most one per burst), as the OpenCV reader does.
        if last is not None:
            last_thumb = _bgr(last, size)
            sample.motion = float(np.abs(video._gray_small(last_thumb) - video._gray_small(thumb)).mean())
            small = cv2.resize(last_thumb, video.ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
            if cv2.compareHist(sample.hist, video.hsv_hist(cv2.cvtColor(small, cv2.COLOR_BGR2HSV)),
                               cv2.HISTCMP_BHATTACHARYYA) > video.CUT_DISTANCE:
                sample.burst_cuts = 1
            sample.burst_s = float((last.pts - first_pts) * base)
        samples.append(sample)
    return samples, decoded


def base_half(base: Any, fps: float) -> int:
    """Half a frame in stream time-base units (a frame this close before the point is the point's frame)."""
    return int(0.5 / fps / base)
