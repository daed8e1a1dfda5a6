"""Text embeddings (BERT via sentence-transformers) and the in-memory vector index."""
