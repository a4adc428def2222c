"""The interactive session: a program typed one line at a time.

    gradcli> a = 1                 binds an input (typing it again changes its value)
    gradcli> q = a*x + 2           defines an intermediate
    gradcli> sig(q)                shows the table of an expression
    gradcli> :vars                 lists inputs and definitions

The session keeps its input values apart from its definitions, and each
expression is evaluated as the program "definitions, then the expression"
with the inputs bound as on the command line. Each definition keeps the
number of the line that typed it, so an error points into that line.
Errors are printed and the session goes on.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .errors import GradcliError, MathError, Source

if TYPE_CHECKING:
    from rich.console import Console

    from .engine import Result

PROMPT = "gradcli> "
BANNER = "gradcli session: NAME = VALUE binds an input, an expression shows its table, :help lists commands."


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    run: Callable[["Session", str], bool]  # False ends the session


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, help: str,
            aliases: tuple[str, ...] = ()) -> Callable[[Callable[["Session", str], bool]], Callable[["Session", str], bool]]:
    """Register a `:name` command. The step loop (`:step SIZE N`, from
    gradcli/steps.py) and explanations (`:explain EXPR`) are added the same way."""
    def register(fn: Callable[["Session", str], bool]) -> Callable[["Session", str], bool]:
        cmd = Command(name, usage, help, fn)
        for n in (name,) + aliases:
            COMMANDS[n] = cmd
        return fn
    return register


class Session:
    """The state of a session and what each line does to it. Prints to `out`
    (tables, values) and `err` (errors); reads nothing itself."""

    def __init__(self, out: "Console", err: "Console", precision: int = 4,
                 bindings: dict[str, float] | None = None):
        self.out, self.err, self.precision = out, err, precision
        self.bindings: dict[str, float] = dict(bindings or {})
        self.defs: list[tuple[str, str, str]] = []  # (line name, statement, name defined)
        self.count = 0

    # -- what a line does ------------------------------------------------

    def handle(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        self.count += 1
        text = line.strip()
        if not text or text.startswith(("#", "//")):
            return True
        if text.startswith(":"):
            word, _, rest = text[1:].partition(" ")
            cmd = COMMANDS.get(word)
            if cmd is None:
                self.error("unknown command :%s; :help lists the commands" % word)
                return True
            return cmd.run(self, rest.strip())
        from .ast import Assign
        from .graph import is_signed_number, signed_value
        from .parse import parse
        part = "<in %d>" % self.count
        try:
            stmts = parse(Source(line, part))
        except GradcliError as e:
            self.show_error(e)
            return True
        computed = {name for _, _, name in self.defs}
        for s in stmts:
            if isinstance(s, Assign):
                stmt = line[s.span[0]:s.value.span[1]]
                if not s.aug and is_signed_number(s.value) and s.name not in computed:
                    self.bindings[s.name] = signed_value(s.value)
                elif s.aug and s.name in self.bindings:
                    rhs = line[s.value.span[0]:s.value.span[1]]
                    self.rebind(s.name, "%s %s (%s)" % (s.name, s.aug, rhs), part)
                else:
                    self.define(s.name, stmt, part)
                    computed.add(s.name)
            else:
                self.show(line[s.span[0]:s.span[1]], part)
        return True

    def define(self, name: str, stmt: str, part: str) -> None:
        self.bindings.pop(name, None)  # an input no more: the program computes it
        self.defs.append((part, stmt, name))
        try:
            value = self.evaluate(name, part)[0].value
        except MathError as e:
            self.show_error(e)
        except GradcliError as e:
            self.out.print("%s is defined; %s yet" % (name, e.message), style="dim",
                           markup=False, highlight=False)
        else:
            self.out.print("%s = %s" % (name, self.number(value)), markup=False, highlight=False)

    def rebind(self, name: str, expr: str, part: str) -> None:
        """`a += 0.1` on an input changes its value, as on a calculator."""
        try:
            value = self.evaluate(expr, part)[0].value
        except GradcliError as e:
            self.show_error(e)
            return
        self.bindings[name] = value
        self.out.print("%s = %s" % (name, self.number(value)), markup=False, highlight=False)

    def show(self, expr: str, part: str) -> None:
        from .render import table
        try:
            results = self.evaluate(expr, part)
        except GradcliError as e:
            self.show_error(e)
            return
        for k, r in enumerate(results):
            if k:
                self.out.print()
            self.out.print(table(r, self.precision))

    def evaluate(self, text: str, part: str) -> "list[Result]":
        """The program 'definitions, then text' at the session's inputs."""
        from .api import evaluate
        source = Source.join([(p, stmt) for p, stmt, _ in self.defs] + [(part, text)])
        return evaluate(source, self.bindings)

    # -- printing ----------------------------------------------------------

    def number(self, x: float) -> str:
        from .render import number
        return number(x, self.precision)

    def show_error(self, e: GradcliError) -> None:
        self.error(e.render())

    def error(self, text: str) -> None:
        self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def names(self) -> list[str]:
        return list(self.bindings) + [name for _, _, name in self.defs]


@command("help", ":help", "this list", aliases=("h", "?"))
def _help(s: Session, arg: str) -> bool:
    lines = [
        "NAME = VALUE      bind an input (again: change its value; NAME += 1 adds to it)",
        "NAME = EXPR       define an intermediate",
        "EXPR              show its forward and backward table",
    ]
    seen = set()
    for cmd in COMMANDS.values():
        if cmd.name not in seen:
            seen.add(cmd.name)
            lines.append("%-17s %s" % (cmd.usage, cmd.help))
    lines.append("Up and down arrows recall earlier lines; Tab completes names.")
    s.out.print("\n".join(lines), markup=False, highlight=False)
    return True


@command("vars", ":vars", "the inputs and their values, then the definitions", aliases=("bindings",))
def _vars(s: Session, arg: str) -> bool:
    if not s.bindings and not s.defs:
        s.out.print("nothing bound or defined yet", style="dim")
    for name, value in s.bindings.items():
        s.out.print("%s = %s" % (name, s.number(value)), markup=False, highlight=False)
    for _, stmt, _ in s.defs:
        s.out.print(stmt, markup=False, highlight=False)
    return True


@command("reset", ":reset", "forget every input and definition")
def _reset(s: Session, arg: str) -> bool:
    s.bindings.clear()
    s.defs.clear()
    return True


@command("quit", ":quit", "end the session (or Ctrl-D)", aliases=("q", "exit"))
def _quit(s: Session, arg: str) -> bool:
    return False


def _history_file() -> str | None:
    path = os.environ.get("GRADCLI_HISTORY")
    if path is None:
        return os.path.join(os.path.expanduser("~"), ".gradcli_history")
    return path or None  # GRADCLI_HISTORY= (empty) keeps no history


def _setup_readline(s: Session) -> Callable[[], None]:
    """Line editing, history and Tab completion; returns what saves the history."""
    try:
        import readline
    except ImportError:  # no readline on this platform: plain input()
        return lambda: None
    from .ops import FUNCTIONS
    words = sorted(set(FUNCTIONS)) + sorted(":" + c for c in COMMANDS)

    def complete(text: str, state: int) -> str | None:
        matches = [w for w in s.names() + words if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n()+-*/^,;=")
    readline.parse_and_bind("tab: complete")
    path = _history_file()
    if path and os.path.exists(path):
        try:
            readline.read_history_file(path)
        except OSError:
            pass
    readline.set_history_length(1000)

    def save() -> None:
        if path:
            try:
                readline.write_history_file(path)
            except OSError:
                pass
    return save


def session(source: Source | None = None, bindings: dict[str, float] | None = None,
            no_color: bool = False, precision: int = 4) -> int:
    """Run a session on the terminal; the exit code. A program given on the
    command line is run first, line by line, as if typed."""
    from rich.console import Console
    tty = sys.stdin is not None and sys.stdin.isatty()
    out = Console(no_color=no_color or None, highlight=False)
    err = Console(stderr=True, no_color=no_color or None, highlight=False)
    s = Session(out, err, precision, bindings)
    save = _setup_readline(s) if tty else (lambda: None)
    if tty:
        out.print(BANNER, style="dim", markup=False, highlight=False)
    if source is not None:
        for line in source.text.splitlines():
            s.handle(line)
    try:
        while True:
            try:
                if not s.handle(input(PROMPT if tty else "")):
                    break
            except KeyboardInterrupt:  # Ctrl-C drops the line (or the work), as in a shell
                out.print()
            except EOFError:
                if tty:
                    out.print()
                break
    finally:
        save()
    return 0
