"""The GUI reads while the scanner writes: no "database is locked", reader p99 under 100 ms."""

from __future__ import annotations

import sqlite3
import threading
import time

from tests.media import write_audio

FILES = 600


def test_reader_and_play_writer_during_scan(library, tmp_path):
    root = tmp_path / "m"
    data = write_audio(tmp_path / "src.wav", 0.02).read_bytes()
    for i in range(FILES):
        path = root / f"a{i // 20:02d}" / f"{i:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[:-4] + i.to_bytes(4, "little"))
    with library.store.write() as conn:  # something the "player" can record plays against
        conn.execute("INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, title, added_at, updated_at)"
                     " VALUES ('/x/seed.flac', '/x', 'seed.flac', 'flac', 'audio', 1, 1, 'Seed', 0, 0)")
    errors: list[BaseException] = []
    result = {}

    def scanner() -> None:
        try:
            result["report"] = library.scan([str(root)])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def player() -> None:  # the GUI thread records plays while the scan commits
        try:
            while "report" not in result and not errors:
                with library.store.write() as conn:
                    conn.execute("INSERT INTO play_events (item_id, started_at) VALUES (1, ?)", (time.time(),))
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scanner), threading.Thread(target=player)]
    for t in threads:
        t.start()
    latencies: list[float] = []
    counts: list[int] = []
    queries = [
        "SELECT COUNT(*) FROM items WHERE status = 'ok'",
        "SELECT id, title, artist, album FROM items WHERE status = 'ok' ORDER BY artist, album, title LIMIT 200",
        "SELECT COUNT(*) FROM play_events",
        "SELECT rowid FROM items_fts WHERE items_fts MATCH 'a*' LIMIT 50",
    ]
    try:
        while threads[0].is_alive():
            for sql in queries:
                started = time.perf_counter()
                rows = library.store.query(sql)  # this thread's own WAL reader connection
                latencies.append(time.perf_counter() - started)
                if sql.startswith("SELECT COUNT(*) FROM items"):
                    counts.append(rows[0][0])
            time.sleep(0.005)
    except sqlite3.OperationalError as exc:
        errors.append(exc)
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert result["report"].added == FILES
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert len(latencies) > 50
    assert len(set(counts)) > 1  # the reader really saw commits land while it read
    assert p99 < 0.100, f"reader p99 {p99 * 1000:.1f} ms over {len(latencies)} queries"
    print(f"\nreader during scan: {len(latencies)} queries, p50 {latencies[len(latencies) // 2] * 1000:.2f} ms, "
          f"p99 {p99 * 1000:.2f} ms, max {latencies[-1] * 1000:.1f} ms; "
          f"{library.stats()['play_events']} plays written meanwhile")
