"""Render the app's main views into docs/screenshots/*.png (run under Xvfb: xvfb-run -a python bench/screenshots.py).

Builds a small demo library from generated media (tagged tracks with covers, short videos with .nfo),
runs scan -> analyze -> embed, plays a few things through the player's own code path, then captures
each view. Prints one JSON object: the files written and how long each step took.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALBUMS = [  # artist, album, genre, year, cover BGR, [(title, bpm, freq)]
    ("Aurora Band", "First Light", "Ambient", 1987, (40, 120, 230),
     [("Dawn Chorus", 70, 440), ("Noon Heat", 84, 660), ("Blue Hour", 64, 330)]),
    ("Kara Voss", "Old Wars", "Soundtrack", 2004, (60, 50, 150),
     [("Siege of Laurelmor", 140, 220), ("The Long March", 100, 196), ("Ashes", 76, 247)]),
    ("Neon Harbour", "Night Drive", "Synthwave", 2019, (170, 60, 190),
     [("Midnight Run", 128, 523), ("Chrome Skyline", 118, 587), ("Afterglow", 96, 392)]),
    ("Mina Roe", "Paper Boats", "Folk", 2012, (90, 170, 120),
     [("Paper Boats", 92, 294), ("Harbour Lights", 88, 349), ("Salt and Rain", 72, 262)]),
]
VIDEOS = [("Mountain Bike Ride", "Documentary", 2019, ((40, 140, 60), (30, 100, 160), (200, 200, 200)),
           "A rider climbs a mountain pass at dawn."),
          ("City Lights Timelapse", "Documentary", 2021, ((120, 40, 20), (10, 10, 60), (0, 180, 255)),
           "Night traffic and neon over the harbour."),
          ("Ocean Waves", "Nature", 2017, ((160, 100, 20), (200, 160, 60), (230, 220, 200)),
           "Slow waves on a quiet beach."),
          ("Coastal Drive, From the Harbour to the Lighthouse and Back Again at Dusk", "Travel", 2022,
           tuple(((i * 40) % 256, (i * 90) % 256, (i * 150) % 256) for i in range(12)),
           "A long drive along the coast: many scenes, so the detail pane shows many keyframes.")]
LONG_QUERY = ("calm piano music for a long rainy evening with friends and a cup of tea " * 8)[:500]


def beat_signal(bpm: float, freq: float, seconds: float = 6.0, sr: int = 22050):
    """A tone with a kick on every beat, so tempo analysis has something to find."""
    import numpy as np

    t = np.arange(int(seconds * sr)) / sr
    tone = 0.25 * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    kick = np.zeros_like(t)
    period = 60.0 / bpm
    for start in np.arange(0, seconds, period):
        i = int(start * sr)
        n = min(len(t) - i, int(0.08 * sr))
        kick[i:i + n] += 0.6 * np.exp(-np.arange(n) / (0.015 * sr)) * np.sin(2 * np.pi * 60 * np.arange(n) / sr)
    return (tone + kick).astype(np.float32)


def make_demo(root: Path) -> None:
    from tests.media import jpeg_bytes, tag_vorbis, write_audio, write_video

    for artist, album, genre, year, colour, tracks in ALBUMS:
        folder = root / "Music" / artist / album
        for n, (title, bpm, freq) in enumerate(tracks, 1):
            path = write_audio(folder / f"{n:02d} - {title}.flac", signal=beat_signal(bpm, freq))
            tag_vorbis(path, title=title, artist=artist, album=album, genre=genre, date=str(year),
                       tracknumber=str(n), bpm=str(bpm))
        (folder / "cover.jpg").write_bytes(jpeg_bytes(colour, size=200))
    for title, genre, year, colours, plot in VIDEOS:
        name = title.lower().replace(" ", "_").replace(",", "")[:40]
        folder = root / "Videos" / name
        write_video(folder / f"{name}.avi", colors=colours, seconds_each=1.5 if len(colours) < 6 else 0.8,
                    size=(160, 90))
        (folder / f"{name}.nfo").write_text(
            f"<movie><title>{title}</title><plot>{plot}</plot><genre>{genre}</genre><year>{year}</year></movie>",
            encoding="utf-8")
    (root / "Music" / "Loose").mkdir(parents=True, exist_ok=True)
    (root / "Music" / "Loose" / "broken.mp3").write_bytes(os.urandom(4096))  # unreadable: the Failures page
    (root / "Music" / "Loose" / "empty.mp3").write_bytes(b"")
    write_audio(root / "Music" / "Loose" / "click.wav", signal=beat_signal(120, 880, seconds=0.05))  # too short
    # Untagged, no cover: a placeholder with its initials in the grid.
    write_audio(root / "Music" / "Loose" / "field recording 0042.flac", signal=beat_signal(90, 300))
    long_title = write_audio(root / "Music" / "Loose" / "long.flac", signal=beat_signal(110, 415))
    tag_vorbis(long_title, title="A Very Long Title That Goes On Through the Night and Into the Morning Light "
                                 "(Extended Live Version, Recorded at the Harbour Festival)",
               artist="The Orchestra of the Northern Lights and Friends", genre="Ambient", date="2020")


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_jobs(app, window, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while (window.ops.jobs or window.work.running) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    settle(app, 0.4)


def main() -> None:
    out_dir = ROOT / "docs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(os.environ.get("ENCORE_SHOTS_DIR") or tempfile.mkdtemp(prefix="encore-shots-"))
    media, data = work / "media", work / "data"
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not media.exists():
        make_demo(media)
    timings["make_media_s"] = time.perf_counter() - t0

    from ui.app import create_window, make_app, open_library
    from ui.theme import apply_theme

    app = make_app()
    library, problem = open_library(str(data))
    assert library is not None, problem
    window = create_window(library)
    window.resize(1360, 840)
    window.show()
    settle(app)
    shots: list[str] = []

    def shot(name: str, widget=None) -> None:
        settle(app, 0.5)
        path = out_dir / f"{name}.png"
        (widget or window).grab().save(str(path))
        shots.append(str(path.relative_to(ROOT)))

    if not library.roots():
        shot("01-welcome")
    t = time.perf_counter()
    window.add_folders([str(media)])
    settle(app, 4.0)
    shot("02-scanning")
    wait_jobs(app, window)
    timings["scan_analyze_embed_s"] = time.perf_counter() - t

    # A few plays through the player's own code path (positions driven here: no audio device needed).
    window.player.start_media = False
    ids = list(window.music.model.ids)
    for item_id in ids[:4] + ids[:2]:
        window.play([item_id], 0)
        for ms in range(0, 6000, 500):
            window.player.on_position(ms / 1000)
        window.player.finish_current(ended=True)
    window.player.play_items([ids[5]], 0)
    window.player.on_position(0.5)
    window.player.next()  # a skip
    wait_jobs(app, window)

    window.sidebar.setCurrentRow(0)
    window.music.select_item(ids[0])
    wait_jobs(app, window)
    shot("03-music")
    window.music.set_mode("grid")
    settle(app, 1.0)
    shot("04-covers")
    window.music.set_mode("table")
    window.sidebar.setCurrentRow(1)
    wait_jobs(app, window)
    video_ids = list(window.videos.model.ids)
    if video_ids:
        window.videos.select_item(video_ids[0])
        wait_jobs(app, window)
    window.videos.set_mode("grid")
    settle(app, 1.0)
    shot("05-videos")
    window.search_box.setText("calm ambient music")
    window.search(window.search_box.text())
    wait_jobs(app, window)
    window.search_view.results.setCurrentRow(0)
    wait_jobs(app, window)
    shot("06-search")
    window.select_item(ids[0])
    window.sidebar.setCurrentRow(2)
    wait_jobs(app, window)
    cards = [c for s in window.for_you.shelves for c in s.cards()]
    if cards:
        window.for_you.picked.emit(cards[0].rec)
        wait_jobs(app, window, timeout=120)
    shot("07-for-you")
    window.sidebar.setCurrentRow(3)
    wait_jobs(app, window)
    shot("08-history")
    window.sidebar.setCurrentRow(5)
    wait_jobs(app, window)
    shot("09-failures")
    dialog = window.open_settings()
    settle(app, 0.5)
    shot("10-settings", dialog)
    dialog.reject()
    library.settings.theme = "dark"
    apply_theme(app, "dark")
    window.sidebar.setCurrentRow(0)
    window.music.select_item(ids[1])
    wait_jobs(app, window)
    shot("11-dark")
    library.settings.theme = "light"
    apply_theme(app, "light")

    # No broken layouts in a small window: many keyframes wrap, a 500-character query is elided.
    window.resize(1024, 700)
    window.sidebar.setCurrentRow(1)
    wait_jobs(app, window)
    window.videos.set_mode("table")
    many = [i.id for i in library.items(kind="video") if i.title.startswith("Coastal Drive")]
    if many:
        window.videos.select_item(many[0])
        wait_jobs(app, window)
    shot("12-keyframes-1024")
    window.search_box.setText(LONG_QUERY)
    window.search(LONG_QUERY)
    wait_jobs(app, window)
    shot("13-long-query-1024")
    assert window.width() == 1024, f"the window grew to {window.width()} px"
    window.shutdown()
    print(json.dumps({"screenshots": shots, "work_dir": str(work),
                      **{k: round(v, 2) for k, v in timings.items()}}))


if __name__ == "__main__":
    main()
