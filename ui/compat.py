"""Work-arounds for bugs in the Qt bindings this app runs on."""

from __future__ import annotations

import ctypes
import sys

_applied = False


def emit_steals_bool_reference() -> bool:
    """PySide6 6.12.0 returns the result of `SignalInstance.emit()` (True) without a new reference:
    every emit made from Python takes one reference from `True`, and after a few hundred emits the
    interpreter aborts with "deallocating True or False". True when this build has the bug."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


def protect_singletons() -> bool:
    """Make True, False and None effectively immortal (what CPython 3.12+ does anyway) when the Qt
    bindings drop references to them. Returns whether the work-around was needed."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if not emit_steals_bool_reference():
        return False
    for obj in (True, False, None):
        # ob_refcnt is the first field of every CPython object; 2**40 references never run out.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _applied = True
    return True
