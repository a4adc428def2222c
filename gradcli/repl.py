"""The interactive session: a program typed one line at a time.

    gradcli> a = 1                 binds an input (typing it again changes its value)
    gradcli> q = a*x + 2           defines an intermediate
    gradcli> sig(q)                shows the table of an expression
    gradcli> :vars                 lists inputs and definitions
    gradcli> :step 0.01 10         ten steps of gradient ascent on sig(q)
    gradcli> :explain              the backward pass of sig(q), line by line

What a name is follows its latest assignment, which replaces the earlier one:

- `NAME = NUMBER` makes NAME an input with that value (whatever it was
  before); typing it again, or `NAME += 1`, changes the value.
- `NAME = EXPR` makes NAME computed from EXPR (an input no more). A
  definition written in terms of the name itself (`q = q + 1`, `q *= 2`)
  builds on the one before instead of replacing it; on an input it just
  changes the value, as `+=` does. A definition that would make a name read
  itself through others (`y = x*2` while `x = y + 1`) is refused.

The session keeps the inputs apart from the definitions, one definition per
name, ordered so that each comes after the names it reads; each expression
is evaluated as the program "definitions, then the expression" with the
inputs bound as on the command line. So the table, `:vars`, `:step` and
`:explain` all see the same program. Each definition keeps the number of
the line that typed it, so an error points into that line. Errors are
printed and the session goes on; an expression that fails does not become
the last expression.

`:step` runs the step loop (gradcli.ascend) on the last expression shown
and leaves the inputs at the values it reached, so the next table shows
them; its lines and summary are the command line's (gradcli/stepcli.py).
"""
from __future__ import annotations

import math
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from . import syntax
from .errors import GradcliError, MathError, Source, StepByHand, Words, say

if TYPE_CHECKING:
    from rich.console import Console

    from .engine import Result
    from .flat import Program

_STEP_SIZE = re.compile(syntax.SIGNED_NUMBER)
PROMPT = "gradcli> "

# How the session names what library messages call {step}, {bind=...}, ...
# (see errors.Phrase); what it has no command for, the command line does.
WORDS: Words = {
    "step": ":step", "step=": ":step {}", "descend=": ":descend {}",
    "all": "gradcli --all",
    "verify": "gradcli --verify",
    "bindings": "at the prompt",
    "bind=": "at the prompt",
}
DESCEND_WORDS: Words = {**WORDS, "step": ":descend", "step=": ":descend {}"}
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
    """Register a `:name` command."""
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
        # (line name, statement, name defined): one name's statements together, and
        # the names in an order where each comes after the names it reads
        self.defs: list[tuple[str, str, str]] = []
        self.deps: dict[str, set[str]] = {}  # the names each definition reads
        self.last: tuple[str, str] | None = None      # (line name, expression) last shown
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
        part = "<in %d>" % self.count
        program = self.parse(line, part)
        if program is None:
            return True
        for k in range(len(program)):
            name, aug = program.name[k], program.aug[k]
            start, end = program.nstart[k], program.value_span(k)[1]
            if name is None:
                self.show(line[start:end], part)
                continue
            value = program.number(k, line)
            reads = {n for n, _ in program.names_read(k)} | ({name} if aug else set())
            rhs = line[slice(*program.value_span(k))]
            if not aug and value is not None:
                self.undefine(name)  # a number makes an input, whatever the name was
                self.bindings[name] = value
            elif name in reads and name in self.bindings:
                self.rebind(name, "%s %s (%s)" % (name, aug, rhs) if aug else rhs, part)
            else:
                self.define(name, line[start:end], part, reads)
        return True

    def target(self, arg: str, usage: str) -> tuple[str, str] | None:
        """(line name, expression) for a command that acts on an expression:
        the one in `arg`, else the last one shown."""
        if not arg:
            if self.last is None:
                self.error("no expression yet: type one first, or give it: %s" % usage)
            return self.last
        part = "<in %d>" % self.count
        program = self.parse(arg, part)
        if program is None:
            return None
        if len(program) != 1 or program.name[0] is not None:
            self.error("%s acts on one expression; define names on lines of their own" % usage.split()[0])
            return None
        return (part, arg)  # it becomes the last expression only once it works

    def define(self, name: str, stmt: str, part: str, reads: set[str]) -> None:
        """`name = EXPR`: the latest definition replaces the earlier one, unless
        it is written in terms of it (`q = q + 1`, `q *= 2`), which extends it."""
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for d in self.defs:
            groups.setdefault(d[2], []).append(d)
        deps = dict(self.deps)
        if name in reads and name in groups:
            groups[name].append((part, stmt, name))
            deps[name] = deps[name] | (reads - {name})
        else:
            groups.pop(name, None)
            groups[name] = [(part, stmt, name)]
            deps[name] = reads - {name}
        order = _ordered(list(groups), deps)
        if order is None:
            loop = _loop(name, deps)
            self.error("%s would make %s depend on itself (%s); the definition is not kept: "
                       "give one of them a number first" % (stmt, name, " -> ".join(loop)))
            return
        self.bindings.pop(name, None)  # an input no more: the program computes it
        self.defs = [d for n in order for d in groups[n]]
        self.deps = {n: deps[n] for n in order}
        try:
            value = self.evaluate(name, part)[0].value
        except MathError as e:
            self.show_error(e)
        except GradcliError as e:
            self.out.print("%s is defined; %s yet" % (name, e.message), style="dim",
                           markup=False, highlight=False)
        else:
            self.out.print("%s = %s" % (name, self.number(value)), markup=False, highlight=False)

    def undefine(self, name: str) -> None:
        self.defs = [d for d in self.defs if d[2] != name]
        self.deps.pop(name, None)

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
            self.show_error(e)  # a failed expression is not one :step could act on
            return
        self.last = (part, expr)
        for k, r in enumerate(results):
            if k:
                self.out.print()
            self.out.print(table(r, self.precision, words=WORDS))

    def evaluate(self, text: str, part: str) -> "list[Result]":
        """The program 'definitions, then text' at the session's inputs."""
        from .api import evaluate
        return evaluate(self.source(text, part), self.bindings)

    def source(self, text: str, part: str) -> Source:
        return Source.join([(p, stmt) for p, stmt, _ in self.defs] + [(part, text)])

    # -- printing ----------------------------------------------------------

    def number(self, x: float) -> str:
        from .render import number
        return number(x, self.precision)

    def parse(self, text: str, part: str) -> "Program | None":
        """The statements of a typed line, or None after showing its error."""
        from .frontend import read
        try:
            return read(Source(text, part))
        except GradcliError as e:
            self.show_error(e)
            return None

    def show_error(self, e: GradcliError, words: Words = WORDS) -> None:
        if isinstance(e, StepByHand):  # its step size may be bound here
            e = e.bound(self.bindings)
        self.error(e.render(words))

    def error(self, text: str) -> None:
        self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def names(self) -> list[str]:
        return list(self.bindings) + [name for _, _, name in self.defs]


def _ordered(names: list[str], deps: dict[str, set[str]]) -> list[str] | None:
    """names, each after the defined names it reads, otherwise as given; None
    when they read each other in a circle."""
    done: list[str] = []
    placed: set[str] = set()
    pending = list(names)
    while pending:
        for n in pending:
            if all(d in placed or d not in deps for d in deps[n]):
                break
        else:
            return None
        pending.remove(n)
        placed.add(n)
        done.append(n)
    return done


def _loop(name: str, deps: dict[str, set[str]]) -> list[str]:
    """A path of reads from name back to itself (there is one)."""
    stack = [(name, [name])]
    seen: set[str] = set()
    while stack:
        n, path = stack.pop()
        for d in sorted(deps.get(n, ())):
            if d == name:
                return path + [name]
            if d in deps and d not in seen:
                seen.add(d)
                stack.append((d, path + [d]))
    return [name, name]


@command("help", ":help", "this list", aliases=("h", "?"))
def _help(s: Session, arg: str) -> bool:
    rows = [
        ("NAME = VALUE", "bind an input (again: change its value; NAME += 1 adds to it)"),
        ("NAME = EXPR", "define an intermediate"),
        ("EXPR", "show its forward and backward table"),
    ]
    rows += [(cmd.usage, cmd.help) for cmd in dict.fromkeys(COMMANDS.values())]
    width = max(len(usage) for usage, _ in rows)
    lines = ["%-*s  %s" % (width, usage, text) for usage, text in rows]
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


STEP_LINES = 10  # a long run prints about this many update lines, then the summary


def _steps(s: Session, arg: str, descend: bool) -> bool:
    """:step and :descend: the command line's --step loop, from the session's inputs."""
    name = ":descend" if descend else ":step"
    words = DESCEND_WORDS if descend else WORDS
    usage = name + " SIZE [N] [EXPR]"
    m = re.match(r"(\S+)(?:\s+([-+]?\d+)(?!\S))?\s*(.*)\Z", arg, re.S)
    if m is None:
        s.error("%s needs a step size: %s, as in %s 0.01 10" % (name, usage, name))
        return True
    size = float(m.group(1)) if _STEP_SIZE.fullmatch(m.group(1)) else math.nan
    if not math.isfinite(size):  # the language's numbers only: no 1_0, no inf, no other digits
        s.error("the step size must be a number, not %r (%s, as in %s 0.01 10)" % (m.group(1), usage, name))
        return True
    from .stepcli import negative_step
    refused = negative_step(size, descend, lambda t, d: "%s %s" % (":descend" if d else ":step", t))
    if refused is not None:
        s.error(refused)
        return True
    n = int(m.group(2)) if m.group(2) else 1
    if n < 0:
        s.error("the number of steps must be a whole number of 0 or more, not %d (%s)" % (n, usage))
        return True
    target = s.target(m.group(3), usage)
    if target is None:
        return True
    from .api import Program
    from .stepcli import header, step_line, summary
    part, expr = target
    try:
        program = Program(s.source(expr, part))
        bindings = {k: v for k, v in s.bindings.items() if k in program.inputs}
        loop = program.ascend(size, n, bindings=bindings, descend=descend,
                              every=max(1, n // STEP_LINES))
    except GradcliError as e:
        s.show_error(e, words)
        return True
    width = max(4, len(str(n)))
    error: GradcliError | None = None
    interrupted = False
    try:
        for step in loop:
            if step.k == 0:
                s.out.print(header(width), markup=False, highlight=False)
            s.out.print(step_line(step, width, s.precision), markup=False, highlight=False)
    except GradcliError as e:
        error = e
    except KeyboardInterrupt:
        interrupted = True
    last = loop.last
    if last is None:  # the starting point itself failed: nothing moved
        if error is not None:
            s.show_error(error, words)
        return True
    s.last = target
    status = ""
    if interrupted:
        status = "interrupted: the state reached after %d updates" % last.k
    elif error is not None:
        s.show_error(error, words)
        status = "the last good state, after %d updates" % last.k
    elif not loop.moving:
        status = "nothing moved: the expression depends on no input"
    s.out.print()
    s.out.print(summary(loop, s.precision, status))
    for note in loop.result().notes:
        s.out.print("note: " + say(note, WORDS), style="yellow", markup=False, highlight=False)
    for k, v in last.inputs.items():  # the next table starts where the loop ended
        if k in s.bindings:
            s.bindings[k] = v
    return True


@command("step", ":step SIZE [N] [EXPR]",
         "N updates (default 1) of gradient ascent on the last expression or EXPR")
def _step(s: Session, arg: str) -> bool:
    return _steps(s, arg, descend=False)


@command("descend", ":descend SIZE [N] [EXPR]", "the same downhill, input -= SIZE * gradient (minimises)")
def _descend(s: Session, arg: str) -> bool:
    return _steps(s, arg, descend=True)


@command("explain", ":explain [EXPR]", "the backward pass of the last expression (or EXPR), line by line")
def _explain(s: Session, arg: str) -> bool:
    target = s.target(arg, ":explain [EXPR]")
    if target is None:
        return True
    from .explain import explanation
    try:
        results = s.evaluate(target[1], target[0])
    except GradcliError as e:
        s.show_error(e)
        return True
    s.last = target
    for r in results:
        s.out.print(explanation(r, s.precision))
    return True


@command("reset", ":reset", "forget every input and definition")
def _reset(s: Session, arg: str) -> bool:
    s.bindings.clear()
    s.defs.clear()
    s.deps.clear()
    s.last = None
    return True


@command("quit", ":quit", "end the session (or Ctrl-D)", aliases=("q", "exit"))
def _quit(s: Session, arg: str) -> bool:
    return False


def _history_file() -> str | None:
    """Where the history is kept: a regular file, or one not made yet. Anything
    else (a fifo, a device, a directory) is left alone, since reading a fifo
    waits for a writer and the session would hang before its first prompt."""
    path = os.environ.get("GRADCLI_HISTORY")
    if path is None:
        path = os.path.join(os.path.expanduser("~"), ".gradcli_history")
    if not path:  # GRADCLI_HISTORY= (empty) keeps no history
        return None
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


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
    if path and os.path.isfile(path):
        try:
            readline.read_history_file(path)
        except OSError:
            pass
    readline.set_history_length(1000)

    def save() -> None:
        if path and (os.path.isfile(path) or not os.path.lexists(path)):  # it may have changed since
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
