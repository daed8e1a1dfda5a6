"""Sound words in a query are weighed by the stored tagger probabilities (core.search.sound): among tracks the
text finds equally ("jazz" in each one's phrases), the one whose tags stand out most ranks first; speech gets
no such lift; a library without tags searches as before."""

from __future__ import annotations

import time

from core.db import features as db
from core.db import items as q
from core.search.sound import Concept, concept_score, concepts
from tests.media import make_library

REFERENCE = {"msd": {"jazz": [0.05, 0.05], "sad": [0.05, 0.05], "happy": [0.05, 0.05], "Mellow": [0.1, 0.05]},
             "mtt": {"female": [0.1, 0.05], "woman": [0.1, 0.05]}}


def test_queries_name_the_sounds_they_ask_for():
    assert [c.name for c in concepts("Jazz")] == ["jazz"]
    assert [c.name for c in concepts("country music")] == ["country"]
    assert [c.name for c in concepts("songs with a female singer")] == ["female vocals"]
    assert [c.name for c in concepts("female vocals")] == ["female vocals"]  # not also "vocals"
    assert [c.name for c in concepts("sad songs")] == ["sad"]
    assert [c.name for c in concepts("calm relaxing music")] == ["calm"]
    assert [c.name for c in concepts("rap")] == ["hip-hop"]
    assert concepts("battle of the five armies") == [] and concepts("") == []


def test_scores_grow_with_the_evidence():
    def jazz(p: float) -> float | None:
        return concept_score(Concept("jazz", "tag"), {"msd": {"jazz": p}}, REFERENCE, None)

    assert jazz(0.05) == 0.0 and 0.0 < jazz(0.15) < jazz(0.25) and jazz(0.9) == 1.0
    assert concept_score(Concept("piano", "tag"), {"msd": {"jazz": 0.9}}, REFERENCE, None) is None  # no such tag
    quiet = {"loudness_lufs": -30.0, "onset_rate": 0.3}
    loud = {"loudness_lufs": -8.0, "onset_rate": 4.0, "tempo_bpm": 150, "beat_strength": 0.5}
    calm = Concept("calm", "mood")
    assert concept_score(calm, {"msd": {}}, REFERENCE, quiet) > concept_score(calm, {"msd": {}}, REFERENCE, loud)


def test_search_ranks_the_strongest_evidence_first(library, tmp_path):
    make_library(tmp_path / "m")
    library.scan([str(tmp_path / "m")])
    conn = library.store.reader()
    audio = sorted(r["id"] for r in conn.execute("SELECT id FROM items WHERE kind = 'audio'"))[:3]
    assert len(audio) == 3
    now = time.time()
    with library.store.write() as w:
        for item_id in audio:
            db.write_descriptors(w, item_id, 3, ["jazz"], now, {"jazz": 0.6})
            q.set_fts_descriptors(w, item_id, ["jazz"])
    before = [h.item.id for h in library.search("jazz") if h.item.id in audio]
    assert sorted(before) == audio
    # the strongest evidence goes to the track the text ranks last, the weakest to its first
    strength = dict(zip(before, (0.08, 0.12, 0.2), strict=True))  # z 0.6, 1.4, 3
    with library.store.write() as w:
        for item_id, p in strength.items():
            db.write_audio_tags(w, item_id, "test", {"female": 0.1}, {"jazz": p}, None, None, 3, None, now)
        db.write_tag_reference(w, "test", 3, REFERENCE, now)
    hits = [h for h in library.search("jazz") if h.item.id in audio]
    assert [h.item.id for h in hits] == before[::-1]
    sound = [h.reasons[0].detail["sound"]["jazz"] for h in hits]
    assert sound == sorted(sound, reverse=True) and sound[0] == 1.0
    # speech is not lifted by a sound word: the strongest one reclassified as speech falls back
    with library.store.write() as w:
        db.write_item_class(w, before[2], 1, db.SPEECH, 0.9, [], now)
    hits = [h for h in library.search("jazz") if h.item.id in audio]
    assert hits[0].item.id == before[1] and "sound" not in next(
        h for h in hits if h.item.id == before[2]).reasons[0].detail


def test_a_mood_counts_against_its_opposite(library, tmp_path):
    """"calm relaxing music": a loud, driving track scores below nothing at all (its evidence says energetic),
    a still one above; a query for both moods weighs neither against the other."""
    from core.search.sound import sound_scores

    make_library(tmp_path / "m")
    library.scan([str(tmp_path / "m")])
    conn = library.store.reader()
    still, driving = sorted(r["id"] for r in conn.execute("SELECT id FROM items WHERE kind = 'audio'"))[:2]
    now = time.time()
    with library.store.write() as w:
        for item_id, f in ((still, {"loudness_lufs": -30.0, "onset_rate": 0.3}),
                           (driving, {"loudness_lufs": -8.0, "onset_rate": 4.0, "tempo_bpm": 150, "beat_strength": 0.5})):
            db.write_audio_features(w, item_id, 1, f, None, now)
            db.write_audio_tags(w, item_id, "test", {"female": 0.1}, {"jazz": 0.05}, None, None, 3, None, now)
    scores = sound_scores(library.store.reader(), [still, driving], concepts("calm relaxing music"), REFERENCE)
    assert scores[still]["calm"] > 0 > scores[driving]["calm"]
    both = sound_scores(library.store.reader(), [driving], concepts("calm or energetic"), REFERENCE)
    assert both[driving]["calm"] == 0.0 and both[driving]["energetic"] > 0
