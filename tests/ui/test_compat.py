"""The PySide6 emit() reference bug cannot crash the app: thousands of emits from Python are safe."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Many(QObject):
    tick = Signal()
    value = Signal(object)


def test_many_emits_from_python_do_not_exhaust_true(qapp):
    from ui.app import make_app

    make_app()
    many = _Many()
    received = []
    many.value.connect(received.append)
    for i in range(20_000):
        many.tick.emit()
        many.value.emit(None if i % 2 else i)
    assert len(received) == 20_000
    assert sys.getrefcount(True) > 1000 and sys.getrefcount(None) > 1000
