"""Which scan failures may pass by themselves, and when one is tried again.

A file that failed because of the moment (permission denied, a timeout, a busy or failing device, a
worker killed under memory pressure) is retried on a later scan without the file changing: at most
MAX_ATTEMPTS times in all, and not sooner than `attempts` hours after the last try (1 h, 2 h, ...).
A damaged file fails the same way every time and is retried only when it changes, or on demand
(`Library.retry_failures`, `encore scan --retry-failed`), which tries every failed file at once.
"""

from __future__ import annotations

BACKOFF_S = 3600.0  # the wait before try n+1 is n times this
MAX_ATTEMPTS = 5

# Words of the recorded error (core.isolation's messages, OSError's strerror) that name a cause
# which may be gone by the next scan.
TRANSIENT_MARKS = (
    "permission denied", "permissionerror", "operation not permitted",
    "timed out",                                # the decoder was slow (load, a low file_timeout_s, a FIFO sidecar)
    "ran out of memory", "cannot allocate memory", "memoryerror",
    "(signal 9)",                               # SIGKILL: the kernel's OOM killer
    "device or resource busy", "input/output error", "resource temporarily unavailable",
    "stale file handle", "too many open files", "no space left", "interrupted system call",
    "named pipe", "not a file",                 # a FIFO or device where a file was, a moment ago
)


def may_pass(error: str) -> bool:
    """Whether a recorded scan error names a cause that may have passed (so a retry can succeed)."""
    text = (error or "").lower()
    return any(mark in text for mark in TRANSIENT_MARKS)


def due(error: str, attempts: int, last_at: float, now: float) -> bool:
    """Whether the next scan tries this failed file again: a passing cause, attempts left, backoff over."""
    attempts = max(1, int(attempts or 1))
    return may_pass(error) and attempts < MAX_ATTEMPTS and now - float(last_at or 0.0) >= attempts * BACKOFF_S
