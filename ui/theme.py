"""Light and dark themes: a palette plus resources/style.qss, following the system colour scheme."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"

COLOURS = {
    "light": {"window": "#f6f5f3", "base": "#ffffff", "alt": "#f1efec", "text": "#1d1c1a", "muted": "#6b6760",
              "accent": "#d9480f", "accent_text": "#ffffff", "panel": "#ecebe7", "border": "#dcd9d3",
              "chip": "#efe6dd", "card": "#ffffff", "highlight": "#f3d3c2", "danger": "#b42318"},
    "dark": {"window": "#1b1a19", "base": "#232221", "alt": "#2a2927", "text": "#ecebe8", "muted": "#a39f98",
             "accent": "#ff7a45", "accent_text": "#1b1a19", "panel": "#161514", "border": "#3a3835",
             "chip": "#3a302a", "card": "#2a2927", "highlight": "#5a3526", "danger": "#f97066"},
}


def system_scheme() -> str:
    """'dark' or 'light' as the platform reports it (light when unknown)."""
    try:
        scheme = QGuiApplication.styleHints().colorScheme()
    except AttributeError:  # Qt < 6.5
        return "light"
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def resolve(theme: str) -> str:
    return theme if theme in ("light", "dark") else system_scheme()


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Set palette and stylesheet; returns the scheme used."""
    scheme = resolve(theme)
    if app.property("encore_scheme") == scheme:
        return scheme  # already themed: re-polishing every live widget would be wasted work
    c = COLOURS[scheme]
    if not app.property("encore_styled"):  # setting it again would re-polish every widget alive
        app.setStyle("Fusion")
        app.setProperty("encore_styled", True)
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["window"], QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"], QPalette.ColorRole.AlternateBase: c["alt"],
        QPalette.ColorRole.Text: c["text"], QPalette.ColorRole.Button: c["alt"],
        QPalette.ColorRole.ButtonText: c["text"], QPalette.ColorRole.Highlight: c["highlight"],
        QPalette.ColorRole.HighlightedText: c["text"], QPalette.ColorRole.ToolTipBase: c["base"],
        QPalette.ColorRole.ToolTipText: c["text"], QPalette.ColorRole.PlaceholderText: c["muted"],
        QPalette.ColorRole.Link: c["accent"],
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(c["muted"]))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(c["muted"]))
    app.setPalette(pal)
    try:
        qss = (RESOURCES / "style.qss").read_text(encoding="utf-8")
    except OSError:
        qss = ""
    for key, value in sorted(c.items(), key=lambda kv: -len(kv[0])):  # @accent_text before @accent
        qss = qss.replace("@" + key, value)
    app.setStyleSheet(qss)
    app.setProperty("encore_scheme", scheme)
    return scheme


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "encore.svg"))


def follow_system(app: QApplication, get_theme) -> None:
    """Re-theme when the system switches between light and dark (and the user chose "system")."""
    try:
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(lambda _s: get_theme() == "system" and apply_theme(app, "system"))
    except AttributeError:
        pass
