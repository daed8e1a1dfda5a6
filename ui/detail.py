"""Detail pane: art, tags, feature chips, keyframes, actions, and an explanation that streams in."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.errors import plain_error
from core.models import Changes
from ui.chips import feature_chips, keyframe_paths, poster_path, tag_sections
from ui.ops import Ops
from ui.table_model import format_duration
from ui.thumbs import placeholder_pixmap
from ui.widgets import Chip, ElidedLabel, EmptyState, FlowLayout, breakable, plain_tip

MAX_KEYFRAMES = 12
KEYFRAME_W = 72


class DetailPane(QWidget):
    """Everything about the selected item. Emits play / like / radio / more-like-this requests."""

    play = Signal(int)
    play_at = Signal(int, float)  # item id, from that second (the search hit's moment)
    like = Signal(int, str)
    radio = Signal(int)
    more_like_this = Signal(int)

    def __init__(self, library, ops: Ops, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops, self.thumbnails = library, ops, thumbnails
        self.item_id: int | None = None
        self.moment = None  # the search hit's Moment the pane shows (core.models.Moment), or None
        self.info: dict[str, Any] = {}
        self.liked = False
        self._generation = 0
        self._explain_job = None
        self.setMinimumWidth(280)

        self.art = QLabel()
        self.art.setObjectName("detailArt")
        self.art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.art.setFixedHeight(200)
        self.art.setMinimumWidth(1)
        self.art.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # File data, as plain text, elided to the pane (the full text in the tooltip).
        self.title = ElidedLabel(lines=2)
        self.title.setObjectName("detailTitle")
        self.subtitle = ElidedLabel(lines=2)
        self.subtitle.setObjectName("detailSubtitle")
        self.facts = ElidedLabel(own_tooltip=True)
        self.facts.setObjectName("detailFacts")
        self.moment_label = ElidedLabel(own_tooltip=True)  # "At 0:42 · close-up of a face" (a search moment)
        self.moment_label.setObjectName("detailMoment")
        self.moment_label.hide()
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
        self.play_button.clicked.connect(self._play)
        self.like_button.clicked.connect(self._toggle_like)
        self.radio_button.clicked.connect(lambda: self.item_id and self.radio.emit(self.item_id))
        self.more_button.clicked.connect(lambda: self.item_id and self.more_like_this.emit(self.item_id))
        self.why_button.clicked.connect(lambda: self.explain(evidence=True))

        self.chips_box = QWidget()
        self.chips = FlowLayout(self.chips_box)
        self.keyframes_box = QWidget()
        self.keyframes = FlowLayout(self.keyframes_box, spacing=4)  # wraps: 12 keyframes never widen the pane
        self.explanation = QLabel()
        self.explanation.setObjectName("explanation")
        self.explanation.setWordWrap(True)
        # The explainer writes *titles*: rendered as italics from escaped text (never as Markdown or HTML,
        # which would render a title's own markup).
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setMinimumWidth(1)
        self.tags = _FitBrowser()
        self.tags.setObjectName("detailTags")
        self.tags.setOpenLinks(False)
        self.tags.setFrameShape(QFrame.Shape.NoFrame)
        self.tags.anchorClicked.connect(self._anchor)
        self.show_technical = False  # technical tags (encoder, ids, gains) folded away until asked for

        body = QWidget()
        col = QVBoxLayout(body)
        for w in (self.art, self.moment_label, self.title, self.subtitle, self.facts):
            col.addWidget(w)
        col.addLayout(actions)
        col.addLayout(actions2)
        col.addWidget(self.chips_box)
        col.addWidget(self.keyframes_box)
        col.addWidget(self.explanation)
        col.addWidget(self.tags)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it wraps instead
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
    def show_item(self, item_id: int, seed: int | None = None, reasons=None, explain: bool = False,
                  moment=None) -> None:
        """Show an item at once (what the list knows: title, artist, art) and load the rest in the
        background; with `explain` also stream an explanation; with a search hit's `moment` its keyframe
        is the picture and Play starts there. The previous item never stays on screen."""
        self._generation += 1
        gen = self._generation
        self.item_id = item_id
        self.moment = moment
        self._seed, self._reasons = seed, reasons
        self.explanation.clear()
        self.explanation.hide()
        self._show_known(item_id)
        self.ops.run("show", self.library.show, ref=item_id,
                     on_result=lambda info: self._loaded(gen, info, explain),
                     on_error=lambda exc: self._failed(gen, exc))

    def show_nothing(self) -> None:
        """Nothing is selected: say so (never keep showing an item that is no longer selected)."""
        self._generation += 1
        self.item_id = None
        self.moment = None
        self.info = {}
        self.empty.set_text("Nothing selected", "Pick a track or a video to see everything Encore knows "
                            "about it: tags, tempo and key, keyframes, and why it was suggested.")
        self.empty.show()
        self.scroll.hide()

    def follow(self, page: QWidget | None) -> None:
        """The window switched pages: show what is selected there. Pages that can say what is selected
        (`current_id()`) decide; on the others (For You, the video player) the pane keeps its item."""
        current = getattr(page, "current_id", None)
        if not callable(current):
            return
        item_id = current()
        moment = getattr(page, "current_moment", lambda: None)()
        if item_id is None:
            self.show_nothing()
        elif item_id != self.item_id or self.scroll.isHidden() or moment != self.moment:
            self.show_item(item_id, moment=moment)

    def _show_known(self, item_id: int) -> None:
        """The selected item's title line and art from the list's own facts, while the rest loads."""
        try:
            item = self.library.item(item_id)
        except Exception:  # noqa: BLE001 - gone or unreadable: the background load says why
            self.show_nothing()
            return
        self.empty.hide()
        self.scroll.show()
        self.info = {}
        self.title.setText(item.title or item.path.rsplit("/", 1)[-1])
        parts = [item.artist, item.album, str(item.year) if item.year else ""]
        self.subtitle.setText(" — ".join(p for p in parts if p) or ("Video" if item.kind == "video" else ""))
        self.subtitle.setVisible(bool(self.subtitle.text()))
        self.facts.setText(format_duration(item.duration))
        self.facts.setToolTip(plain_tip(item.path))
        self._set_art(self._moment_picture() or item.cover_path, item.title, item.kind)
        self._show_moment()
        self.chips.clear()
        self.chips_box.hide()
        self._clear_keyframes()
        self.keyframes_box.hide()
        self.tags.setHtml("")

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
        self.title.setText(info.get("title") or info.get("path", "").rsplit("/", 1)[-1])
        parts = [info.get("artist"), info.get("album"), str(info["year"]) if info.get("year") else ""]
        self.subtitle.setText(" — ".join(p for p in parts if p) or ("Video" if info.get("kind") == "video" else ""))
        self.subtitle.setVisible(bool(self.subtitle.text()))
        facts = [format_duration(info.get("duration")), info.get("genre") or "",
                 f"{info['width']}×{info['height']}" if info.get("height") else "",
                 _plays_text(info.get("history") or {})]
        self.facts.setText(" · ".join(f for f in facts if f))
        self.facts.setToolTip(plain_tip(info.get("path", "")))
        self._set_art(self._moment_picture() or poster_path(info) or info.get("cover_path"), info.get("title"),
                      info.get("kind"))
        self.liked = (info.get("history") or {}).get("rating") == "like"
        self.like_button.setText("♥ Liked" if self.liked else "♡ Like")
        self.chips.clear()
        for text, tip in feature_chips(info):
            self.chips.addWidget(Chip(text, tip))
        self.chips_box.setVisible(self.chips.count() > 0)
        self._show_keyframes(info)
        self._show_tags()
        if explain:
            self.explain()

    def _moment_picture(self) -> str | None:
        return self.moment.picture if self.moment is not None else None

    def _show_moment(self) -> None:
        """The search moment under the picture, and Play from there (or nothing of it without a moment)."""
        m = self.moment
        self.moment_label.setText(f"At {m.at} · {m.phrase}" if m is not None else "")
        self.moment_label.setToolTip(f"Your search matched this moment of the video: {m.phrase}, at {m.at}"
                                     if m is not None else "")
        self.moment_label.setVisible(m is not None)
        self.play_button.setText(f"▶ Play from {m.at}" if m is not None else "▶ Play")

    def _play(self) -> None:
        if self.item_id is None:
            return
        if self.moment is not None:
            self.play_at.emit(self.item_id, self.moment.seconds)
        else:
            self.play.emit(self.item_id)

    def _set_art(self, path: str | None, title: str | None, kind: str | None) -> None:
        pix = self.thumbnails.get_now(path, 200) if path else None
        self.art.setPixmap(pix if pix is not None else placeholder_pixmap(title, kind, 160))
        self.art.setProperty("placeholder", pix is None)

    def _show_tags(self) -> None:
        info = self.info
        self.tags.setHtml(tags_html(info.get("tags") or {}, info.get("sidecars") or [], info.get("failures") or [],
                                    self.show_technical, self.library))

    def _anchor(self, url: QUrl) -> None:
        if url.toString() == "#technical":
            self.show_technical = not self.show_technical
            self._show_tags()

    def _clear_keyframes(self) -> None:
        while self.keyframes.count():
            item = self.keyframes.takeAt(0)
            if item is not None and item.widget():
                item.widget().hide()
                item.widget().deleteLater()

    def _show_keyframes(self, info: dict[str, Any]) -> None:
        self._clear_keyframes()
        frames = keyframe_paths(info)
        for t, path in frames[:MAX_KEYFRAMES]:
            pix = self.thumbnails.get_now(path, KEYFRAME_W)
            if pix is None:
                continue
            label = QLabel()
            label.setPixmap(pix)
            label.setFixedSize(pix.size())
            label.setToolTip(f"at {format_duration(t) or '0:00'}")
            if self.moment is not None and path == self.moment.picture:  # the frame the search found
                label.setObjectName("momentKeyframe")
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setFixedSize(pix.width() + 4, pix.height() + 4)  # room for its accent border
                label.setToolTip(f"at {self.moment.at} · {self.moment.phrase}: the moment your search matched")
            self.keyframes.addWidget(label)
        self.keyframes_box.setVisible(self.keyframes.count() > 0)
        if len(frames) > MAX_KEYFRAMES:
            self.keyframes_box.setToolTip(f"{len(frames)} keyframes; the first {MAX_KEYFRAMES} are shown")

    # ----- explanation ------------------------------------------------------------------------
    def explain(self, evidence: bool = False) -> None:
        """Stream the explanation in; with `evidence` ("Why this?") also list each claim it rests on, as
        checked against the library, with where it comes from."""
        if self.item_id is None:
            return
        if self._explain_job is not None:
            self._explain_job.cancel()
        gen = self._generation
        self._evidence_html = ("<p style='color:gray'>Checking each reason against your library…</p>"
                               if evidence else "")
        self._with_evidence = evidence
        self.explanation.setText(explanation_html("Thinking…") + self._evidence_html)
        self.explanation.show()
        self._streamed = ""
        self._explain_job = self.ops.run(
            "explain", self.library.explain, tokens=True, ref=self.item_id, seed=self._seed,
            reasons=self._reasons, on_token=lambda t: self._token(gen, t),
            on_result=lambda e: self._explained(gen, e), on_error=lambda exc: self._explain_failed(gen, exc))

    def _token(self, gen: int, token: str) -> None:
        if gen == self._generation:
            self._streamed += token
            self.explanation.setText(explanation_html(self._streamed) + getattr(self, "_evidence_html", ""))

    def _explained(self, gen: int, explanation) -> None:
        if gen == self._generation:
            source = " (written by the local model)" if getattr(explanation, "source", "") == "llm" else ""
            if getattr(self, "_with_evidence", False):
                self._evidence_html = evidence_html(getattr(explanation, "evidence", ()) or ())
            self.explanation.setText(explanation_html(explanation.text) + getattr(self, "_evidence_html", ""))
            self.explanation.setToolTip("How Encore explains this pick" + source)

    def _explain_failed(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self.explanation.setText(explanation_html(plain_error(exc, "explain this")))

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


def evidence_html(evidence) -> str:
    """The reasons an explanation rests on (Explanation.evidence, each checked against the library when
    it was spoken), one line each in the words the cards use, with where it comes from; file data escaped."""
    from core.library import reason_line
    from core.models import Reason

    rows = []
    for entry in evidence:
        if not isinstance(entry, dict) or entry.get("kind") in ("item", "seed", None):
            continue
        detail = {k: v for k, v in entry.items() if k not in ("kind", "weight", "source")}
        line = reason_line(Reason(str(entry["kind"]), float(entry.get("weight") or 0.0), detail))
        where = f" <span style='color:gray'>— from {escape(str(entry['source']))}</span>" if entry.get("source") else ""
        rows.append(f"<li>{escape(breakable(line))}{where}</li>")
    if not rows:
        return "<p style='color:gray'>No reason beyond what the item is: nothing else held up.</p>"
    return "<p style='margin-bottom:0'>What this rests on:</p><ul style='margin-top:2px'>" + "".join(rows) + "</ul>"


def explanation_html(text: str) -> str:
    """An explanation as safe rich text: everything escaped (titles and tags are file data), the
    explainer's *emphasis* as italics, long words breakable so they wrap."""
    html = escape(breakable(text or "")).replace("\n", "<br>")
    return re.sub(r"\*([^*<>]+)\*", r"<i>\1</i>", html)


def tags_html(tags: dict[str, Any], sidecars: list[dict], failures: list[dict], technical: bool = False,
              library: Any = None) -> str:
    """The tags under human labels, technical ones folded behind a link, the words (lyrics or subtitles)
    and any problem in plain words. Every value from the file is escaped."""
    human, tech = tag_sections(tags)

    def rows(pairs: list[tuple[str, str]]) -> str:
        return "".join(f"<tr><td class='k' style='padding-right:8px'>{escape(k)}</td><td>{escape(v)}</td></tr>"
                       for k, v in pairs)

    out = f"<table cellspacing=2>{rows(human)}</table>" if human else ""
    if tech:
        arrow = "▾" if technical else "▸"
        out += f"<p><a href='#technical'>{arrow} Technical tags ({len(tech)})</a></p>"
        if technical:
            out += f"<table cellspacing=2>{rows(tech)}</table>"
    lyrics = str(tags.get("lyrics") or next((s.get("text") or "" for s in sidecars
                                            if s.get("kind") in ("lrc", "srt")), ""))
    if lyrics:
        out += f"<p><b>{'Words' if tags.get('lyrics') else 'Subtitles / lyrics'}</b><br>" \
               f"{escape(lyrics[:600]).replace(chr(10), '<br>')}</p>"
    for f in failures:
        stage, error = str(f.get("stage", "")), str(f.get("error", ""))
        words = library.failure_words(stage, error) if library is not None else {"title": "Problem", "what": error,
                                                                                   "todo": "", "quiet": False}
        heading = words["title"] if words.get("quiet") else f"Problem: {words['title'].lower()}"
        text = " ".join(p for p in (words["what"], words.get("todo", "")) if p)
        out += f"<p><b>{escape(heading)}</b><br>{escape(text)}</p>"
    return out


class _FitBrowser(QTextBrowser):
    """A text browser as tall as its text at the pane's width (the pane scrolls, not the box), wrapping
    long values anywhere rather than scrolling sideways."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self._fit)

    def _fit(self) -> None:
        doc = self.document()
        doc.setTextWidth(max(1, self.viewport().width()))
        height = int(doc.size().height()) + 2 * self.frameWidth() + 4
        if doc.isEmpty():
            height = 0
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(1, self.height())
