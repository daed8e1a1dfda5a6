"""Detail pane: art, tags, feature chips, keyframes, actions, and an explanation that streams in."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.errors import plain_error
from core.models import Changes
from ui.chips import feature_chips, keyframe_paths, poster_path
from ui.ops import Ops
from ui.table_model import format_duration
from ui.widgets import Chip, EmptyState, FlowLayout

HIDDEN_TAGS = {"title", "artist", "album", "lyrics", "genre", "date", "year"}


class DetailPane(QWidget):
    """Everything about the selected item. Emits play / like / radio / more-like-this requests."""

    play = Signal(int)
    like = Signal(int, str)
    radio = Signal(int)
    more_like_this = Signal(int)

    def __init__(self, library, ops: Ops, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops, self.thumbnails = library, ops, thumbnails
        self.item_id: int | None = None
        self.info: dict[str, Any] = {}
        self.liked = False
        self._generation = 0
        self._explain_job = None
        self.setMinimumWidth(280)

        self.art = QLabel()
        self.art.setObjectName("detailArt")
        self.art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.art.setFixedHeight(200)
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("detailSubtitle")
        self.subtitle.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setObjectName("detailFacts")
        self.facts.setWordWrap(True)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setObjectName("primary")
        self.like_button = QPushButton("♡ Like")
        self.like_button.setToolTip("Like (Ctrl+L): Encore recommends more like it")
        self.radio_button = QPushButton("Radio")
        self.radio_button.setToolTip("Radio from here: a queue that starts with this and flows on")
        self.more_button = QPushButton("More like this")
        self.why_button = QPushButton("Why this?")
        self.why_button.setToolTip("Ask Encore to explain, in plain words, how this fits your taste")
        actions = QHBoxLayout()
        for b in (self.play_button, self.like_button, self.radio_button):
            actions.addWidget(b)
        actions2 = QHBoxLayout()
        actions2.addWidget(self.more_button)
        actions2.addWidget(self.why_button)
        self.play_button.clicked.connect(lambda: self.item_id and self.play.emit(self.item_id))
        self.like_button.clicked.connect(self._toggle_like)
        self.radio_button.clicked.connect(lambda: self.item_id and self.radio.emit(self.item_id))
        self.more_button.clicked.connect(lambda: self.item_id and self.more_like_this.emit(self.item_id))
        self.why_button.clicked.connect(lambda: self.explain())

        self.chips_box = QWidget()
        self.chips = FlowLayout(self.chips_box)
        self.keyframes = QHBoxLayout()
        self.keyframes.setSpacing(4)
        self.keyframes_box = QWidget()
        self.keyframes_box.setLayout(self.keyframes)
        self.explanation = QLabel()
        self.explanation.setObjectName("explanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.MarkdownText)  # the explainer writes *titles*
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tags = QTextBrowser()
        self.tags.setObjectName("detailTags")
        self.tags.setOpenLinks(False)
        self.tags.setFrameShape(QFrame.Shape.NoFrame)
        self.tags.setMinimumHeight(120)

        body = QWidget()
        col = QVBoxLayout(body)
        for w in (self.art, self.title, self.subtitle, self.facts):
            col.addWidget(w)
        col.addLayout(actions)
        col.addLayout(actions2)
        col.addWidget(self.chips_box)
        col.addWidget(self.keyframes_box)
        col.addWidget(self.explanation)
        col.addWidget(self.tags, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.empty = EmptyState("Nothing selected", "Pick a track or a video to see everything Encore knows "
                                "about it: tags, tempo and key, keyframes, and why it was suggested.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(scroll)
        self.scroll = scroll
        scroll.hide()

    # ----- loading ----------------------------------------------------------------------------
    def show_item(self, item_id: int, seed: int | None = None, reasons=None, explain: bool = False) -> None:
        """Load an item in the background; with `explain` also stream an explanation."""
        self._generation += 1
        gen = self._generation
        self.item_id = item_id
        self._seed, self._reasons = seed, reasons
        self.explanation.clear()
        self.explanation.hide()
        self.ops.run("show", self.library.show, ref=item_id,
                     on_result=lambda info: self._loaded(gen, info, explain),
                     on_error=lambda exc: self._failed(gen, exc))

    def library_changed(self, changes: Changes) -> None:
        """Redraw the shown item when what is known about it changed, or its plays or its like (the
        explanation stays)."""
        if self.item_id is None or self.scroll.isHidden():
            return
        if changes.details or ((changes.plays or changes.ratings) and changes.touches(self.item_id)):
            gen = self._generation
            self.ops.run("show", self.library.show, ref=self.item_id,
                         on_result=lambda info: self._loaded(gen, info, explain=False),
                         on_error=lambda exc: self._failed(gen, exc))

    def _failed(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self.empty.set_text("Cannot show this item", plain_error(exc))
            self.empty.show()
            self.scroll.hide()

    def _loaded(self, gen: int, info: dict[str, Any], explain: bool) -> None:
        if gen != self._generation:
            return
        self.info = info
        self.empty.hide()
        self.scroll.show()
        tags = info.get("tags") or {}
        self.title.setText(info.get("title") or info.get("path", "").rsplit("/", 1)[-1])
        parts = [info.get("artist"), info.get("album"), str(info["year"]) if info.get("year") else ""]
        self.subtitle.setText(" — ".join(p for p in parts if p) or ("Video" if info.get("kind") == "video" else ""))
        facts = [format_duration(info.get("duration")), info.get("genre") or "",
                 f"{info['width']}×{info['height']}" if info.get("height") else "",
                 _plays_text(info.get("history") or {})]
        self.facts.setText(" · ".join(f for f in facts if f))
        self.facts.setToolTip(info.get("path", ""))
        art = poster_path(info) or info.get("cover_path")
        pix = self.thumbnails.get_now(art, 200) if art else None
        self.art.setPixmap(pix) if pix else self.art.setText("♪" if info.get("kind") == "audio" else "▶")
        self.art.setProperty("placeholder", pix is None)
        self.liked = (info.get("history") or {}).get("rating") == "like"
        self.like_button.setText("♥ Liked" if self.liked else "♡ Like")
        self.chips.clear()
        for text, tip in feature_chips(info):
            self.chips.addWidget(Chip(text, tip))
        self.chips_box.setVisible(self.chips.count() > 0)
        self._show_keyframes(info)
        self.tags.setHtml(_tags_html(tags, info.get("sidecars") or [], info.get("failures") or []))
        if explain:
            self.explain()

    def _show_keyframes(self, info: dict[str, Any]) -> None:
        while self.keyframes.count():
            w = self.keyframes.takeAt(0).widget()
            if w:
                w.deleteLater()
        frames = keyframe_paths(info)[:6]
        for t, path in frames:
            pix = self.thumbnails.get_now(path, 72)
            if pix is None:
                continue
            label = QLabel()
            label.setPixmap(pix)
            label.setToolTip(f"at {format_duration(t) or '0:00'}")
            self.keyframes.addWidget(label)
        self.keyframes.addStretch(1)
        self.keyframes_box.setVisible(bool(frames))

    # ----- explanation ------------------------------------------------------------------------
    def explain(self) -> None:
        if self.item_id is None:
            return
        if self._explain_job is not None:
            self._explain_job.cancel()
        gen = self._generation
        self.explanation.setText("Thinking…")
        self.explanation.show()
        self._streamed = ""
        self._explain_job = self.ops.run(
            "explain", self.library.explain, tokens=True, ref=self.item_id, seed=self._seed,
            reasons=self._reasons, on_token=lambda t: self._token(gen, t),
            on_result=lambda e: self._explained(gen, e), on_error=lambda exc: self._explain_failed(gen, exc))

    def _token(self, gen: int, token: str) -> None:
        if gen == self._generation:
            self._streamed += token
            self.explanation.setText(self._streamed)

    def _explained(self, gen: int, explanation) -> None:
        if gen == self._generation:
            source = " (written by the local model)" if getattr(explanation, "source", "") == "llm" else ""
            self.explanation.setText(explanation.text)
            self.explanation.setToolTip("How Encore explains this pick" + source)

    def _explain_failed(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self.explanation.setText(plain_error(exc, "explain this"))

    def _toggle_like(self) -> None:
        if self.item_id is None:
            return
        self.liked = not self.liked
        self.like_button.setText("♥ Liked" if self.liked else "♡ Like")
        self.like.emit(self.item_id, "like" if self.liked else "none")


def _plays_text(history: dict[str, Any]) -> str:
    plays, skips = history.get("plays") or 0, history.get("skips") or 0
    text = f"played {plays}×" if plays else ""
    return text + (f", skipped {skips}×" if skips else "")


def _tags_html(tags: dict[str, str], sidecars: list[dict], failures: list[dict]) -> str:
    from html import escape

    rows = "".join(f"<tr><td class='k'>{escape(k)}</td><td>{escape(str(v)[:300])}</td></tr>"
                   for k, v in sorted(tags.items()) if k not in HIDDEN_TAGS and not k.startswith("musicbrainz"))
    out = f"<table cellspacing=2>{rows}</table>" if rows else ""
    lyrics = tags.get("lyrics") or next((s["text"] for s in sidecars if s.get("kind") in ("lrc", "srt")), "")
    if lyrics:
        out += f"<p><b>{'Words' if tags.get('lyrics') else 'Subtitles / lyrics'}</b><br>" \
               f"{escape(lyrics[:600]).replace(chr(10), '<br>')}</p>"
    for f in failures:
        out += f"<p><b>Problem ({escape(f.get('stage', ''))}):</b> {escape(str(f.get('error', '')))}</p>"
    return out
