"""Generated test signals with known answers: click track, chord progression, silence, noise, cut video."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 22050
NOTE = {"C": 0, "C#": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "G#": 8, "A": 9, "Bb": 10, "B": 11}


def click_track(bpm: float = 120.0, seconds: float = 20.0, sr: int = SR) -> np.ndarray:
    """A metronome: 20 ms decaying 1.5 kHz clicks every beat, accent on each bar's first beat."""
    y = np.zeros(int(seconds * sr), np.float32)
    click_t = np.arange(int(0.02 * sr)) / sr
    click = (np.sin(2 * np.pi * 1500 * click_t) * np.exp(-click_t * 250)).astype(np.float32)
    period = 60.0 / bpm
    for i, start in enumerate(np.arange(0, seconds - 0.03, period)):
        n = int(round(start * sr))
        y[n:n + len(click)] += click * (0.8 if i % 4 == 0 else 0.5)
    return y


def midi_hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def chord_progression(chords: list[list[str]] | None = None, seconds_each: float = 2.0, sr: int = SR) -> np.ndarray:
    """Sustained chords of harmonic tones (piano-ish decay). Default: Am - Dm - E - Am, twice (A minor)."""
    chords = chords or [["A", "C", "E"], ["D", "F", "A"], ["E", "G#", "B"], ["A", "C", "E"]] * 2
    t = np.arange(int(seconds_each * sr)) / sr
    envelope = np.exp(-t * 0.8) * np.minimum(1, t * 200)
    out = []
    for chord in chords:
        frame = np.zeros_like(t)
        bass = 45 + NOTE[chord[0]] - 9 if NOTE[chord[0]] >= 9 else 48 + NOTE[chord[0]]  # root in octave 2/3
        notes = [bass] + [60 + NOTE[n] for n in chord]
        for midi in notes:
            for harmonic, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                frame += amp * np.sin(2 * np.pi * midi_hz(midi) * harmonic * t)
        out.append(frame * envelope)
    y = np.concatenate(out)
    return (0.25 * y / np.abs(y).max()).astype(np.float32)


def silence(seconds: float = 5.0, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr), np.float32)


def white_noise(seconds: float = 8.0, sr: int = SR, seed: int = 7) -> np.ndarray:
    return (0.3 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).clip(-1, 1).astype(np.float32)


def sine(freq: float = 997.0, seconds: float = 5.0, amplitude: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_wav(path: Path, y: np.ndarray, sr: int = SR, fmt: str = "WAV") -> Path:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr, format=fmt, subtype="PCM_16" if fmt == "WAV" else None)
    return path


# Three hard cuts of known colours (BGR): textured so they are real pictures, not flat fills.
SCENES = [("red", (30, 30, 200)), ("green", (40, 170, 40)), ("blue", (190, 60, 20))]


def cut_video(path: Path, scenes=SCENES, seconds_each: float = 2.0, fps: int = 15, size=(160, 120),
              fourcc: str = "MJPG") -> Path:
    """A clip of len(scenes) shots of solid-ish colour with a moving bright square, hard cuts between."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    rng = np.random.default_rng(3)
    w, h = size
    for _, color in scenes:
        for i in range(int(seconds_each * fps)):
            frame = np.empty((h, w, 3), np.uint8)
            frame[:] = color
            noise = rng.integers(-12, 13, (h, w, 1), dtype=np.int16)
            frame = np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            x = (i * 4) % (w - 20)
            frame[40:60, x:x + 20] = (230, 230, 230)
            writer.write(frame)
    writer.release()
    return path


def black_then_scenes(path: Path, fps: int = 15, size=(160, 120)) -> Path:
    """1 s of black, then the three colour scenes: the poster must not be the black opening."""
    return cut_video(path, [("black", (0, 0, 0))] + SCENES, seconds_each=1.5, fps=fps, size=size)
