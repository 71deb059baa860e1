"""Progress of a long training run, one line per stage.

On a terminal the line is rewritten in place (carriage return), so a person sees one line
move; anywhere else (a log file, a pipe, CI) each stage is a plain line of its own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str], None]


def silent(stage: str) -> None:
    """A progress sink that shows nothing (tests, benchmarks)."""


class StageLines:
    """Writes each stage with the seconds elapsed since it was created."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.prefix = prefix
        self.terminal = self.stream.isatty()
        self._started = time.perf_counter()
        self._open_line = False

    def __call__(self, stage: str) -> None:
        text = f"{self.prefix}[{time.perf_counter() - self._started:6.1f} s] {stage}"
        if self.terminal:
            # \x1b[2K clears the previous, possibly longer, stage before writing this one.
            self.stream.write(f"\r\x1b[2K{text}")
            self._open_line = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the rewritten line so what is printed next starts on a line of its own."""
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False
