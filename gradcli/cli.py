"""The command line: read the program and bindings, run, print, exit.

Library errors become messages on stderr here and nowhere else.
"""
from __future__ import annotations

import os
import re
import sys

import click

from . import __version__
from .errors import GradcliError, InputError

EPILOG = """\b
Examples:
  gradcli "sig(a*x+b*y+c)" a=1 b=2 c=-3 x=-1 y=3
  gradcli "q = a*x + b*y + c; sig(q)" a=1 b=2 c=-3 x=-1 y=3
  gradcli -f examples/cs231n.py x=1 y=2
  cat examples/neuron.js | gradcli --json
  gradcli -- "-x^2" x=3

\b
Exit codes: 0 success, 1 math error while evaluating (log of a negative,
overflow, ...), 2 a mistake in the program, the bindings or the options.
"""

_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_BINDING = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(%s)\s*\Z" % _NUMBER)
_BINDING_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")


def parse_binding(word: str) -> tuple[str, float]:
    """`x=3` -> ("x", 3.0), or an InputError saying how to write it."""
    m = _BINDING.match(word)
    if m:
        value = float(m.group(2))
        if value in (float("inf"), float("-inf")):
            raise InputError("the value of %s is too large for double precision" % m.group(1),
                             hint="values must lie between -1.8e308 and 1.8e308")
        return m.group(1), value
    named = _BINDING_NAME.match(word)
    if named:
        raw = word[named.end():].strip()
        raise InputError("the value of %s is not a number: %r" % (named.group(1), raw),
                         hint="write a decimal number, as in %s=3, %s=-1.5 or %s=2e-3 "
                              "(no hex, no underscores, no inf or nan)" % ((named.group(1),) * 3))
    raise InputError("expected NAME=VALUE, got %r" % word,
                     hint="write bindings without spaces around '=', as in x=3")


def looks_like_binding(word: str) -> bool:
    return _BINDING.match(word) is not None


def read_file(path: str) -> str:
    if path == "-":
        return read_stdin()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError("no such file: %s" % path, hint="check the path given to -f") from None
    except IsADirectoryError:
        raise InputError("%s is a directory, not a program file" % path) from None
    except OSError as e:
        raise InputError("cannot read %s: %s" % (path, e.strerror or e)) from None
    return decode(data, path)


def read_stdin() -> str:
    return decode(sys.stdin.buffer.read(), "<stdin>")


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError("%s is not UTF-8 text (byte 0x%02x at line %d, column %d)"
                         % (name, data[e.start], line, col),
                         hint="save the program as UTF-8") from None


def gather(words: tuple[str, ...], files: tuple[str, ...]) -> tuple[str, str, dict[str, float]]:
    """(program text, its name for messages, command-line bindings)."""
    words = list(words)
    if files:
        texts = [read_file(f) for f in files]
        text, name = "\n".join(texts), (files[0] if len(files) == 1 else "<files>")
    elif words and not looks_like_binding(words[0]):
        text, name = words.pop(0), "<expr>"
        if text == "-":
            text, name = read_stdin(), "<stdin>"
    elif sys.stdin is None or sys.stdin.isatty():
        raise InputError("no program given",
                         hint='gradcli EXPR [NAME=VALUE ...], as in: gradcli "x*y" x=2 y=3; '
                              "or gradcli -f FILE; or pipe a program into gradcli")
    else:
        text, name = read_stdin(), "<stdin>"
    bindings: dict[str, float] = {}
    for word in words:
        key, value = parse_binding(word)
        bindings[key] = value  # the last binding of a name wins
    return text, name, bindings


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.argument("words", nargs=-1, metavar="[EXPR] [NAME=VALUE]...")
@click.option("-f", "--file", "files", multiple=True, metavar="FILE",
              help="Read the program from FILE ('-' for stdin); repeat to concatenate files.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per output, one per line, full precision.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits shown in the table.")
@click.option("--all", "show_all", is_flag=True, help="Show every node, however large the graph.")
@click.option("--no-nodes", is_flag=True, help="Leave the per-node list out of --json.")
@click.option("--no-color", is_flag=True, help="No colours (also when NO_COLOR is set).")
@click.version_option(__version__, "-V", "--version", prog_name="gradcli")
def main(words, files, as_json, precision, show_all, no_nodes, no_color):
    """Compute an expression's value and its gradients by backpropagation.

    EXPR is an expression or a small program (statements separated by ';' or
    newlines); NAME=VALUE binds its inputs. Without EXPR the program is read
    from -f FILE or standard input.
    """
    try:
        text, name, bindings = gather(words, files)
        from . import evaluate
        results = evaluate(text, bindings, name)
    except GradcliError as e:
        click.echo(e.render(), err=True)
        sys.exit(e.exit_code)

    if as_json:
        from .render import write_json
        for r in results:
            write_json(r, sys.stdout, nodes=not no_nodes)
        return

    from rich.console import Console
    from .render import table
    console = _console(no_color)
    for k, r in enumerate(results):
        if k:
            console.print()
        console.print(table(r, precision, None if show_all else 60))


def _console(no_color: bool):
    from rich.console import Console
    if sys.stdout.isatty():
        return Console(no_color=no_color or None, highlight=False)
    # Piped: plain text, never wrapped.
    return Console(no_color=True, color_system=None, width=10_000, highlight=False)


def run() -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        main(prog_name="gradcli")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
    except Exception as e:  # a bug in gradcli, never the user's fault
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        sys.stderr.write("gradcli: internal error: %s: %s\n"
                         "This is a bug in gradcli; please report it with the command that caused it.\n"
                         % (type(e).__name__, e))
        sys.exit(70)
