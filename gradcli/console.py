"""What the command line's modules share: the console they print to and the
names the command line gives the library's parameters.

The command line is built in layers, each importing only from below:

    cli.py                        options, which go with which mode, errors -> stderr, exit codes
    modes.py, stepcli.py, repl.py what each mode computes and shows; the session
    console.py                    this module

so nothing here may import from the modules above it.
"""
from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING, Any

from .errors import Words

if TYPE_CHECKING:
    from rich.console import Console

# How the command line names what library messages call {step}, {tol=1e-9}, ...
# (see errors.Phrase; the session has its own words in repl.py).
FLAGS: Words = {
    "step": "--step", "step=": "--step {}", "descend=": "--step {} --descend",
    "every": "--every",
    "tol": "--tol", "tol=": "--tol {}",
    "h": "--h",
    "all": "--all",
    "verify": "--verify",
    "bindings": "on the command line",
    "bind=": "on the command line ({})",
    "expression=": 'gradcli "{}" x=2 y=3',
}

# Exit codes beyond the errors' own (1, 2): see docs/usage.md. 70 and 74 are
# sysexits.h's EX_SOFTWARE and EX_IOERR; 130 and 141 are what a shell reports
# for a command ended by SIGINT and SIGPIPE (128 + the signal's number).
INTERNAL, OUTPUT_FAILED, INTERRUPTED = 70, 74, 130
# How writing fails when the output is full, gone or not writable.
WRITE_ERRORS = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EPIPE", "EBADF",
                                                  "EROFS") if hasattr(errno, name)}


def console(no_color: bool) -> "Console":
    """The console for standard output: colour on a terminal (unless
    no_color or NO_COLOR), plain unwrapped text when piped."""
    from rich.console import Console
    if sys.stdout.isatty():
        return Console(no_color=no_color or None, highlight=False)
    # Piped: plain text, never wrapped.
    return Console(no_color=True, color_system=None, width=10_000, highlight=False)


# --- The standard streams ------------------------------------------------------
#
# Whatever they are connected to: a terminal, a pipe, a full disk, nothing.
# Output that cannot be written ends gradcli (cli.py: exit 74); an error
# message that cannot be written is lost, and the exit code stays the error's.


def guard_streams() -> None:
    """Make the standard streams safe to write to, once, at start-up: a
    character the encoding cannot show is written as \\uXXXX, and stderr
    never raises (a closed stderr becomes /dev/null)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # None, or not a TextIOWrapper
            pass
    if sys.stderr is None:  # closed: the lowest free descriptor, 2, becomes /dev/null
        sys.stderr = open(os.devnull, "w")
    if not isinstance(sys.stderr, BestEffort):
        sys.stderr = BestEffort(sys.stderr)


class BestEffort:
    """A stream (stderr) whose writes never fail: once one does, the rest go
    to /dev/null, so neither a later write nor exiting, which flushes it,
    fails again."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except (OSError, ValueError):
            silence(self.stream)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            silence(self.stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def silence(stream: Any) -> None:
    """Point the stream's file descriptor at /dev/null: what it still holds
    is then flushed there, and exiting cannot fail on it."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
