"""A status line for long runs: rewritten in place on a terminal, absent anywhere else.

``StatusLine`` writes to stderr with click (``\\r``, then the text padded over what was there) only
when stderr is a terminal, so a pipe or a log file never holds a progress line and stdout (JSON
documents) is never touched. It waits ``delay`` seconds before its first line, so that short runs
show nothing, then redraws at most once per ``interval``. Other output on the same terminal calls
``clear()`` first (``log_filter`` does that for log lines) and the next ``show`` draws it again.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time

import click


class StatusLine:
    def __init__(self, stream=None, *, delay: float = 1.0, interval: float = 1.0) -> None:
        self.stream = stream if stream is not None else click.get_text_stream("stderr")
        self.active = _isatty(self.stream)
        self.interval = interval
        self._next = time.monotonic() + delay
        self._width = 0  # of the text on screen now
        self._lock = threading.Lock()  # log lines come from other threads (the folder watcher)

    def show(self, text: str) -> None:
        """Draw ``text`` if the line is due."""
        if not self.active or time.monotonic() < self._next:
            return
        with self._lock:
            width = max(10, shutil.get_terminal_size().columns - 1)
            text = text[:width]
            click.echo("\r" + text.ljust(self._width), file=self.stream, nl=False)
            self.stream.flush()
            self._width = len(text)
            self._next = time.monotonic() + self.interval

    def clear(self) -> None:
        """Take the line off the terminal (before other output, and at the end)."""
        if not self._width:
            return
        with self._lock:
            click.echo("\r" + " " * self._width + "\r", file=self.stream, nl=False)
            self.stream.flush()
            self._width = 0

    def log_filter(self) -> logging.Filter:
        """A filter for the handler writing to the same terminal: the line is cleared before each log line."""
        line = self

        class _Clear(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                line.clear()
                return True

        return _Clear()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False


def size(n: float) -> str:
    """``12.3 MB``: a byte count as people read it."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
