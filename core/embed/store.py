"""A library's text encoder and in-memory vector index (shared parts of the context), and the `stats` hook."""

from __future__ import annotations

from typing import Any

from core.context import StageContext
from core.db import embeddings
from core.embed.encoder import TextEncoder
from core.embed.index import VectorIndex

KIND_CODES = {"audio": 1, "video": 2}


def encoder(ctx: StageContext) -> TextEncoder:
    """The library's text encoder for its current model/device settings (built once, loads lazily)."""
    model = ctx.settings.embedding_model or ""
    device = ctx.settings.device or "auto"
    return ctx.component(f"encoder:{model}:{device}", lambda: TextEncoder(model or None, device=device))


def model_name(ctx: StageContext) -> str:
    """The name stored next to every vector of the configured model (no model is loaded for it)."""
    return encoder(ctx).name


def _build_index(ctx: StageContext, model: str) -> VectorIndex:
    index = VectorIndex()
    stored = embeddings.load_vectors(ctx.store.reader(), model)
    if len(stored.ids):
        index.add(stored.ids, stored.matrix, [KIND_CODES.get(k, 0) for k in stored.kinds])
    return index


def vector_index(ctx: StageContext, model: str | None = None) -> VectorIndex:
    """The in-memory index of the current model's vectors (built from the database on first use)."""
    model = model or model_name(ctx)
    return ctx.component(f"index:{model}", lambda: _build_index(ctx, model))


def loaded_index(ctx: StageContext, model: str) -> VectorIndex | None:
    """The index if it is already in memory (the pipeline updates it in place), else None."""
    index = ctx.peek_component(f"index:{model}")
    return index if isinstance(index, VectorIndex) else None


def stats(ctx: StageContext) -> dict[str, Any]:
    """`embedded`: items with a vector from the current model."""
    model = model_name(ctx)
    return {"embedded": embeddings.count_vectors(ctx.store.reader(), model), "embedding_model": model}
