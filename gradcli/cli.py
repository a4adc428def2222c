"""The command line: read the options, the program and the bindings; choose
the mode (modes.MODES says which options go with which); run it; exit.

A plain command, the one most runs are (an expression, bindings, --json,
--no-nodes, and --step, --steps, --every with plain values), is read here
without click: importing click takes longer than the rest of such a run.
Everything else, --help, completion and every message about the options
included, is click's (command.py). Library errors become messages on stderr
in the command line's words (console.FLAGS, inputs.execute); the modes
themselves are in modes.py, stepcli.py and repl.py.
"""
from __future__ import annotations

import _signal as signal  # signal's C half, all run() needs: importing signal takes a millisecond
import errno
import os
import sys
from typing import TYPE_CHECKING, Any

from . import _interrupted  # noqa: E402  (Ctrl-C while the modules load: see __init__.py)

from .console import INTERNAL, INTERRUPTED, OUTPUT_FAILED, WRITE_ERRORS, guard_streams, silence  # noqa: E402,F401
from .inputs import (USAGE_HINT, decode, execute, gather, looks_like_binding, parse_binding,  # noqa: E402,F401
                     parse_list, read_data, read_file, read_stdin, wants_session)
from .modes import MODES, SESSION, TABLE, Mode, Options  # noqa: E402,F401

if TYPE_CHECKING:
    from .command import main  # noqa: F401


def __getattr__(name: str) -> Any:
    """The click command and its helpers (main, Number, choose_mode, ...),
    imported on first use: a plain command never needs them."""
    if name.startswith("__"):
        raise AttributeError(name)
    from . import command
    try:
        return getattr(command, name)
    except AttributeError:
        raise AttributeError("module 'gradcli.cli' has no attribute %r" % name) from None


# --- The plain command, without click ---------------------------------------------
#
# Its options, as click's parameter names, and how click converts their values:
# a value click would refuse, or convert otherwise, sends the command to click.

PLAIN_FLAGS = {"--json": "as_json", "--no-nodes": "no_nodes"}
PLAIN_VALUES = {"--step": "step", "--steps": "steps", "--every": "every"}


def _step(text: str) -> float | None:
    """--step's value as command.Number(nonzero=True) converts it, or None."""
    import math
    import re
    from .inputs import _NUMBER
    if not re.match(r"\s*%s\s*\Z" % _NUMBER, text):
        return None
    x = float(text)
    return x if math.isfinite(x) and x != 0.0 else None


def _count(least: int) -> Any:
    """click.IntRange(least)'s conversion for plain ASCII digits, or None."""
    def convert(text: str) -> int | None:
        if not (text.isascii() and text.isdigit()) or int(text) < least:
            return None
        return int(text)
    return convert


CONVERT = {"step": _step, "steps": _count(0), "every": _count(1)}


def plain_params(args: list[str]) -> dict[str, Any] | None:
    """click's parameters for a plain command, with the mode it chooses
    (under the key "mode"), or None: click is to read the command."""
    if "_GRADCLI_COMPLETE" in os.environ or os.name == "nt":  # completion; Windows, where click expands globs
        return None
    given: dict[str, Any] = {}
    words: list[str] = []
    k = 0
    while k < len(args):
        word = args[k]
        if not word.startswith("-"):
            words.append(word)
            k += 1
        elif word in PLAIN_FLAGS and PLAIN_FLAGS[word] not in given:
            given[PLAIN_FLAGS[word]] = True
            k += 1
        elif word in PLAIN_VALUES and PLAIN_VALUES[word] not in given and k + 1 < len(args):
            name = PLAIN_VALUES[word]
            value = CONVERT[name](args[k + 1])
            if value is None:
                return None
            given[name] = value
            k += 2
        else:
            return None
    params: dict[str, Any] = dict(Options()._asdict(), words=tuple(words), **given)
    names = ["json" if n == "as_json" else n for n in given]
    mode = next((m for m in MODES if any(f in names for f in m.flags)), TABLE)
    if not given and wants_session(params["words"], params["files"]):
        mode = SESSION
    if not all(mode.takes(n) for n in names):
        return None
    params["mode"] = mode
    return params


def _plain(params: dict[str, Any]) -> int:
    """The plain command's run, with what click's main would do around it."""
    try:
        execute(params.pop("mode"), params)
    except (EOFError, KeyboardInterrupt) as e:  # click: a blank line after ^C, then Abort
        sys.stderr.write("\n")
        sys.stderr.flush()
        return INTERRUPTED if isinstance(e, KeyboardInterrupt) else 2
    except OSError as e:  # click: a broken pipe is exit 1, and flushing at exit stays quiet
        if e.errno != errno.EPIPE:
            raise
        import click.utils
        wrapper = getattr(click.utils, "_PacifyFlushWrapper", None) or getattr(click.utils, "PacifyFlushWrapper")
        sys.stdout, sys.stderr = wrapper(sys.stdout), wrapper(sys.stderr)
        return 1
    return 0  # not reached: execute exits


def run() -> None:
    """Entry point: no traceback ever reaches the user, and the exit code
    says what happened whether or not stderr can be written.

    A reader that goes away (`gradcli ... | head -1`) ends gradcli at once,
    killed by SIGPIPE as cat or grep would be (the shell says 141)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    guard_streams()
    code = _run()
    signal.signal(signal.SIGINT, _interrupted)  # nothing left to stop cleanly
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as e:
        code = code or _cannot_write(e)
    sys.exit(code)


def _run() -> int:
    """The command, and its exit code."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises KeyboardInterrupt again
        if sys.stdout is None:  # closed (>&-): refuse before a file opened later takes its place
            sys.stderr.write("gradcli: cannot write the output: standard output is closed\n")
            return OUTPUT_FAILED
        params = plain_params(sys.argv[1:])
        if params is None:
            from .command import invoke
            return invoke()
        return _plain(params)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    except KeyboardInterrupt:
        return INTERRUPTED
    except MemoryError:
        sys.stderr.write("gradcli: out of memory: the program is too large for this machine\n"
                         "hint: a million operations take about 370 MB; split the computation\n")
        return 1
    except OSError as e:
        if e.errno in WRITE_ERRORS:
            return _cannot_write(e)
        return _internal(e)
    except Exception as e:  # a bug in gradcli, never the user's fault
        return _internal(e)


def _cannot_write(e: OSError) -> int:
    silence(sys.stdout)  # what it still holds goes nowhere, so exiting does not fail again
    sys.stderr.write("gradcli: cannot write the output: %s\n" % (e.strerror or e))
    return OUTPUT_FAILED


def _internal(e: Exception) -> int:
    if os.environ.get("GRADCLI_DEBUG"):
        raise e
    sys.stderr.write("gradcli: internal error: %s: %s\n"
                     "This is a bug in gradcli; please report it with the command that caused it.\n"
                     % (type(e).__name__, e))
    return INTERNAL
