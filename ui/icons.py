"""Monochrome SVG icons from resources/icons, tinted with the current theme's text or accent colour."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from ui.theme import RESOURCES


def icon(name: str, role: str = "text", size: int = 48) -> QIcon:
    """resources/icons/<name>.svg with @fill replaced by the palette colour (`text` or `accent`)."""
    app = QApplication.instance()
    palette = app.palette() if app else None
    colour = "#808080"
    if palette is not None:
        colour = (palette.link() if role == "accent" else palette.windowText()).color().name()
    try:
        svg = (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8").replace("@fill", colour)
    except OSError:
        return QIcon()
    pix = QPixmap(size, size)
    if not pix.loadFromData(svg.encode("utf-8"), "SVG"):
        return QIcon()
    return QIcon(pix)
