"""Encore desktop UI (PySide6)."""
