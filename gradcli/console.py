"""What the command line's modules share: the console they print to and the
names the command line gives the library's parameters.

The command line is built in layers, each importing only from below:

    cli.py                        options, which go with which mode, errors -> stderr, exit codes
    modes.py, stepcli.py, repl.py what each mode computes and shows; the session
    console.py                    this module

so nothing here may import from the modules above it.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

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


def console(no_color: bool) -> "Console":
    """The console for standard output: colour on a terminal (unless
    no_color or NO_COLOR), plain unwrapped text when piped."""
    from rich.console import Console
    if sys.stdout.isatty():
        return Console(no_color=no_color or None, highlight=False)
    # Piped: plain text, never wrapped.
    return Console(no_color=True, color_system=None, width=10_000, highlight=False)
