"""Plays that cannot have happened are refused by the domain, not only by the CLI (issue 16, item 18),
and play counts are counted, not read from a capped list of recent events (item 19)."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime

import pytest

from core.db import history as hdb
from core.errors import UserError
from core.models import PlayEvent
from core.recommend.history import taste
from tests.recommend.helpers import add_item

NOW = time.time()


@pytest.mark.parametrize(("started_at", "seconds"), [
    (math.nan, 30.0), (math.inf, 30.0), (-math.inf, 30.0), (1e300, 30.0), (-5.0, 30.0), (0.0, 30.0),
    (datetime(3000, 1, 1).timestamp(), 30.0), (NOW + 3 * 86400, 30.0),
    (NOW, -100.0), (NOW, math.nan), (NOW, math.inf),
])
def test_record_play_refuses_a_play_that_cannot_have_happened(library, started_at, seconds):
    item = add_item(library, "So What", "Miles Davis", duration=545)
    with pytest.raises(UserError, match="cannot have happened|not a play"):
        library.record_play(PlayEvent(item_id=item, started_at=started_at, seconds=seconds))
    assert library.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 0
    json.dumps(library.show(item), allow_nan=False, default=str)  # nothing stored can make JSON invalid


def test_completion_is_a_share_between_0_and_1(library):
    item = add_item(library, "So What", "Miles Davis", duration=100)
    cases = ((250.0, 0.0), (50.0, 7.0), (50.0, -3.0), (50.0, math.nan), (0.0, 0.0))
    for n, (seconds, completed) in enumerate(cases):
        library.record_play(PlayEvent(item_id=item, started_at=NOW - 3600 + 600 * n, seconds=seconds,
                                      completed=completed))
    stored = [r[0] for r in library.store.query("SELECT completed FROM play_events ORDER BY id")]
    assert stored == [1.0, 1.0, 0.5, 0.5, 0.0]


def test_a_play_a_little_ahead_of_this_clock_is_still_a_play(library):
    item = add_item(library, "So What", "Miles Davis", duration=545)
    library.record_play(PlayEvent(item_id=item, started_at=time.time() + 3600, seconds=30.0))
    library.record_play(PlayEvent(item_id=item, started_at=datetime(1999, 12, 31).timestamp(), seconds=0.0))
    assert library.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 2


def test_play_counts_come_from_the_whole_history_not_the_newest_5000_events(library):
    often = add_item(library, "So What", "Miles Davis", duration=545)
    other = add_item(library, "Blue in Green", "Miles Davis", duration=337)
    start = time.time() - 400 * 86400
    with library.store.write() as conn:  # 5,200 plays of one item and 300 skips, then 10 of another
        hdb.ensure_profile(conn, "default")
        for n in range(5200):
            hdb.insert_play(conn, often, "default", start + n * 600, 545.0, 1.0, False, "test")
        for n in range(300):
            hdb.insert_play(conn, often, "default", start + n * 600 + 300, 5.0, 0.01, True, "test")
        for n in range(10):
            hdb.insert_play(conn, other, "default", start + 5200 * 600 + n * 600, 337.0, 1.0, False, "test")
    t = taste(library.store.reader(), "default")
    assert t.plays == {often: 5200, other: 10} and t.skips == {often: 300}
    assert t.last_played[often] == start + 5199 * 600
    recs = library.recommend(mode="for-you", limit=5)
    said = {r.item.id: [x.detail.get("plays") for x in r.reasons if x.kind == "popular_with_you"] for r in recs}
    assert said[often] == [5200]
    assert "5200 plays" in library.explain(often).text  # the whole count, not the newest 5,000
