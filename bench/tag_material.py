"""Labelled material for bench/tag_quality.py: the same melodies in several timbres, speech, sound effects.

Renders: seeded random melodies over a chord progression, written as MIDI and rendered by FluidSynth with
the General MIDI soundfont (`apt-get install fluidsynth fluid-soundfont-gm`); without it, additive
synthesis of piano-like (struck, decaying partials), organ-like (steady odd/even drawbars) and string-like
(slow attack, vibrato, sawtooth-rich) tones. Each melody comes in a calm version (slow, soft, legato)
and an energetic one (fast, loud, staccato, with drums). Speech: espeak-ng, several voices. Sound effects:
1-3 s noise bursts, beeps and sweeps. Every item has labels {"timbre", "class", "arousal", "split", "name"};
generated files get neutral names (clip_<hash>.wav), so nothing is found by its file name.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

SR = 22050
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2")
# General MIDI programs (0-based) of the labelled timbres, and of distractors that are none of them.
PROGRAMS = {"piano": 0, "organ": 19, "strings": 48, "guitar": 24, "flute": 73}
MELODY_S = 40.0
SPEECH_TEXTS = (
    "The river rose slowly through the night, and by morning the lower fields were under water. The farmers "
    "moved their animals to the hill, and the children watched from the old stone bridge as boats drifted past.",
    "To make the bread, mix the flour with warm water and a little salt, then knead the dough for ten minutes. "
    "Leave it covered in a warm place until it has doubled in size, and bake it in a hot oven.",
    "Good evening and welcome to the programme. Tonight we talk about the history of the city library, "
    "which opened more than two hundred years ago with only a few shelves of donated books.",
    "The train leaves the station at seven fifteen and arrives in the capital shortly after noon. Passengers "
    "are asked to keep their tickets ready and to take all of their belongings with them.",
    "In the second chapter, the author describes her journey across the mountains, the long walks between "
    "villages, and the people who offered her shelter when the weather turned cold.",
)
VOICES = ("en", "en-us", "en-gb-x-rp", "de", "fr", "es", "it", "nl")


def neutral_name(label: str, suffix: str = ".wav") -> str:
    """A file name that says nothing about its content (the title is the file name: "render_piano_..." would
    let search find the piano by its name, not by its sound)."""
    return f"clip_{hashlib.sha1(label.encode()).hexdigest()[:8]}{suffix}"


# ----------------------------------------------------------------------------- MIDI


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def midi_file(events: list[tuple[float, bytes]], bpm: float, path: Path, ppq: int = 480) -> None:
    """A type-0 MIDI file of (time in beats, message bytes) events."""
    track = bytearray(b"\x00\xff\x51\x03" + int(60_000_000 / bpm).to_bytes(3, "big"))
    last = 0
    for beat, message in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90)):
        tick = int(round(beat * ppq))
        track += _varlen(tick - last) + message
        last = tick
    track += b"\x00\xff\x2f\x00"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq) + b"MTrk" + struct.pack(">I", len(track))
                     + bytes(track))


SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PROGRESSIONS = {"major": ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)),
                "minor": ((0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17))}


def melody_events(seed: int, calm: bool, program: int, drums: bool) -> tuple[list[tuple[float, bytes]], float]:
    """(events, bpm) of one seeded melody: chords on channel 0 (and the tune on channel 1) in `program`."""
    rng = np.random.default_rng(seed)
    mode = "major" if seed % 2 == 0 else "minor"
    tonic = 48 + int(rng.integers(0, 12))
    bpm = float(rng.uniform(58, 72) if calm else rng.uniform(128, 150))
    beats = int(MELODY_S * bpm / 60)
    velocity = (int(rng.integers(40, 56)), int(rng.integers(100, 118)))[0 if calm else 1]
    events: list[tuple[float, bytes]] = [(0.0, bytes([0xC0, program])), (0.0, bytes([0xC1, program]))]
    chords = PROGRESSIONS[mode]
    bar = 4
    for start in range(0, beats, bar):
        chord = chords[(start // bar) % len(chords)]
        hits = [0.0] if calm else [0.0, 1.0, 2.0, 3.0]
        length = bar * 0.98 if calm else 0.45
        for h in hits:
            for n in chord:
                events += [(start + h, bytes([0x90, tonic + n, velocity - 10])),
                           (start + h + length, bytes([0x80, tonic + n, 0]))]
    scale = SCALES[mode]
    step = 1.0 if calm else 0.5
    t, degree = 0.0, int(rng.integers(0, 7))
    while t < beats - 1:
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, 13))
        note = tonic + 12 + 12 * (degree // 7) + scale[degree % 7]
        dur = step * (2 if calm and rng.random() < 0.4 else 1)
        events += [(t, bytes([0x91, note, velocity])), (t + dur * (0.95 if calm else 0.5), bytes([0x81, note, 0]))]
        t += dur
    if drums:
        for b in range(beats * 2):
            beat = b / 2
            events += [(beat, bytes([0x99, 42, 80])), (beat + 0.1, bytes([0x89, 42, 0]))]
            if b % 4 == 0:
                events += [(beat, bytes([0x99, 36, 110])), (beat + 0.1, bytes([0x89, 36, 0]))]
            if b % 4 == 2:
                events += [(beat, bytes([0x99, 38, 105])), (beat + 0.1, bytes([0x89, 38, 0]))]
    return events, bpm


def soundfont() -> str | None:
    """The General MIDI soundfont, when FluidSynth and one are installed."""
    if shutil.which("fluidsynth") is None:
        return None
    return next((s for s in SOUNDFONTS if Path(s).is_file()), None)


def render_fluidsynth(events: list[tuple[float, bytes]], bpm: float, out: Path, sf2: str) -> None:
    mid = out.with_suffix(".mid")
    midi_file(events, bpm, mid)
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.7", "-r", str(SR), "-F", str(out), sf2, str(mid)],
                   check=True, capture_output=True, timeout=120)
    mid.unlink()


# ----------------------------------------------------------------------------- additive fallback


def _tone(timbre: str, freq: float, seconds: float, velocity: int) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    amp = velocity / 127
    if timbre == "piano":  # struck: bright attack, partials decaying faster the higher they are
        y = sum(np.sin(2 * np.pi * freq * k * t * (1 + 0.0004 * k * k)) * np.exp(-t * (1.5 + 1.2 * k)) / k
                for k in range(1, 9))
    elif timbre == "organ":  # drawbars 8', 4', 2 2/3', 2': steady, no decay
        y = sum(w * np.sin(2 * np.pi * freq * k * t) for k, w in ((1, 1.0), (2, 0.7), (3, 0.5), (4, 0.4)))
        y = y * np.minimum(1, t / 0.01)
    else:  # strings: sawtooth-rich, slow attack, 5.5 Hz vibrato
        phase = 2 * np.pi * freq * t + 0.004 * freq / 5.5 * np.sin(2 * np.pi * 5.5 * t)
        y = sum(np.sin(k * phase) / k for k in range(1, 12)) * np.minimum(1, t / 0.25)
    fade = np.minimum(1, (seconds - t) / 0.05).clip(0, 1)
    return (amp * y * fade).astype(np.float32)


def render_additive(events: list[tuple[float, bytes]], bpm: float, out: Path, timbre: str) -> None:
    import soundfile as sf

    y = np.zeros(int((MELODY_S + 3) * SR), np.float32)
    on: dict[tuple[int, int], float] = {}
    for beat, msg in sorted(events, key=lambda e: e[0]):
        status, channel = msg[0] & 0xF0, msg[0] & 0x0F
        if channel == 9 or status not in (0x80, 0x90):
            continue
        key = (channel, msg[1])
        if status == 0x90 and msg[2] > 0:
            on[key] = beat
        elif key in on:
            start = on.pop(key)
            seconds = (beat - start) * 60 / bpm + (0.3 if timbre == "piano" else 0.05)
            tone = _tone(timbre, 440 * 2 ** ((msg[1] - 69) / 12), seconds, 90)
            i = int(start * 60 / bpm * SR)
            y[i:i + len(tone)] += tone[: len(y) - i]
    sf.write(str(out), (0.3 * y / max(1e-6, float(np.abs(y).max()))).astype(np.float32), SR)


# ----------------------------------------------------------------------------- the material


def speech(folder: Path, n: int) -> list[tuple[Path, dict]]:
    """n espeak-ng recordings (~20-30 s) in several voices; [] when espeak-ng is missing."""
    if shutil.which("espeak-ng") is None:
        return []
    out = []
    for i in range(n):
        path = folder / neutral_name(f"speech_{i:02d}")
        text = " ".join(SPEECH_TEXTS[(i + k) % len(SPEECH_TEXTS)] for k in range(2))
        subprocess.run(["espeak-ng", "-v", VOICES[i % len(VOICES)], "-s", str(140 + 10 * (i % 4)), "-w", str(path),
                        text], check=True, capture_output=True, timeout=60)
        out.append((path, {"timbre": "speech", "class": "speech", "arousal": None, "split": _split(i),
                           "name": f"speech_{i:02d}"}))
    return out


def sound_effects(folder: Path, n: int) -> list[tuple[Path, dict]]:
    """n short generated effects (noise bursts, beeps, sweeps) of 0.5-3 s."""
    import soundfile as sf

    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        seconds = float(rng.uniform(0.5, 3.0))
        t = np.arange(int(seconds * SR)) / SR
        kind = i % 3
        if kind == 0:
            y = rng.standard_normal(len(t)) * np.exp(-t * 3)
        elif kind == 1:
            y = np.sin(2 * np.pi * float(rng.uniform(400, 1500)) * t) * (t < seconds * 0.6)
        else:
            y = np.sin(2 * np.pi * (200 + 1500 * t / seconds) * t)
        path = folder / neutral_name(f"effect_{i:02d}")
        sf.write(str(path), (0.5 * y / np.abs(y).max()).astype(np.float32), SR)
        out.append((path, {"timbre": "effect", "class": "sound_effect", "arousal": None, "split": _split(i),
                           "name": f"effect_{i:02d}"}))
    return out


def _split(i: int) -> str:
    """Items with an even index are the development half (where anything was tuned), odd ones the test half."""
    return "dev" if i % 2 == 0 else "test"


def renders(folder: Path, melodies: int, timbres: tuple[str, ...] = tuple(PROGRAMS)) -> tuple[list[tuple[Path, dict]], str]:
    """Every melody x {calm, energetic} x timbre, and which renderer made them."""
    sf2 = soundfont()
    renderer = f"fluidsynth {sf2}" if sf2 else "additive synthesis (piano/organ/strings only)"
    if sf2 is None:
        timbres = tuple(t for t in timbres if t in ("piano", "organ", "strings"))
    out = []
    for m in range(melodies):
        for calm in (True, False):
            for timbre in timbres:
                events, bpm = melody_events(1000 + m, calm, PROGRAMS[timbre], drums=not calm)
                name = f"render_{timbre}_{m:02d}_{'calm' if calm else 'energetic'}"
                path = folder / neutral_name(name)
                if sf2:
                    render_fluidsynth(events, bpm, path, sf2)
                else:
                    render_additive(events, bpm, path, timbre)
                out.append((path, {"timbre": timbre, "class": "music", "arousal": "calm" if calm else "energetic",
                                   "melody": m, "split": _split(m), "name": name}))
    return out, renderer


def soundtrack(folder: Path, source: Path, limit: int) -> list[tuple[Path, dict]]:
    """The real Wesnoth soundtrack (orchestral), linked into `folder`."""
    out = []
    for i, path in enumerate(sorted(source.glob("*.ogg"))[:limit]):
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path)
        out.append((link, {"timbre": "orchestral", "class": "music", "arousal": None, "split": _split(i),
                           "name": path.stem}))
    return out
