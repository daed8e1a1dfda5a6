"""Embedding stage: embed every ok item whose description text or model changed; batched, cancellable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.context import StageContext
from core.db import embeddings
from core.db import items as item_db
from core.embed import store
from core.embed.description import describe, text_hash
from core.models import CancelToken, Progress

BATCH = 256


def pending_texts(ctx: StageContext, model: str) -> tuple[dict[int, str], dict[int, str], int]:
    """(texts to embed by id, their hashes, number unchanged) for the current model."""
    conn = ctx.store.reader()
    rows = item_db.present_items(conn)
    known = embeddings.text_hashes(conn, model)
    texts = describe(conn, rows)
    todo: dict[int, str] = {}
    hashes: dict[int, str] = {}
    for item_id, text in texts.items():
        h = text_hash(text)
        if known.get(item_id) != h:
            todo[item_id] = text
            hashes[item_id] = h
    return todo, hashes, len(texts) - len(todo)


def embed_pending(ctx: StageContext, progress: Callable[[Progress], None] | None = None,
                  cancel: CancelToken | None = None) -> dict[str, Any]:
    """Embed new/changed items with the current model. Raises ModelError for an unusable model folder."""
    started = time.perf_counter()
    enc = store.encoder(ctx)
    model = enc.name
    dim = enc.dim  # loads the model now: a bad folder fails before any work is done
    todo, hashes, unchanged = pending_texts(ctx, model)
    ids = list(todo)
    index = store.loaded_index(ctx, model)
    kinds: dict[int, str] = {}
    if index is not None and ids:
        kinds = {i: row["kind"] for i, row in item_db.items_by_ids(ctx.store.reader(), ids).items()}
    done = 0
    encode_s = 0.0
    cancelled = False
    for start in range(0, len(ids), BATCH):
        if cancel is not None and cancel.cancelled:
            cancelled = True
            break
        chunk = ids[start:start + BATCH]
        t0 = time.perf_counter()
        vectors = enc.encode([todo[i] for i in chunk])
        encode_s += time.perf_counter() - t0
        with ctx.store.write() as conn:
            embeddings.write_vectors(conn, model, [(i, hashes[i], v) for i, v in zip(chunk, vectors, strict=True)],
                                     time.time())
        if index is not None:
            index.add(chunk, vectors, [store.KIND_CODES.get(kinds.get(i, ""), 0) for i in chunk])
        done += len(chunk)
        if progress:
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (len(ids) - done) if done else None
            progress(Progress("embed", done, len(ids), str(chunk[-1]), eta))
    if index is not None:  # items that went missing since the index was built
        present = set(item_db.present_ids(ctx.store.reader()))
        index.remove([i for i in index.ids.tolist() if i not in present])
    seconds = time.perf_counter() - started
    return {"embedded": done, "unchanged": unchanged, "pending": len(ids) - done, "model": model, "dim": dim,
            "device": enc.device, "seconds": round(seconds, 3), "encode_seconds": round(encode_s, 3),
            "items_per_s": round(done / seconds, 1) if done and seconds else 0.0, "cancelled": cancelled}
