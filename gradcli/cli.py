"""The command line: read the options, the program and the bindings; choose
the mode (MODES says which options go with which); run it; exit.

Library errors become messages on stderr here, in the command line's words
(console.FLAGS); the modes themselves are in modes.py, stepcli.py and repl.py.
"""
from __future__ import annotations

import errno
import math
import os
import re
import signal
import sys
from typing import Any, NamedTuple


from . import _interrupted  # noqa: E402  (Ctrl-C while the modules load: see __init__.py)

import click  # noqa: E402
from click.core import ParameterSource

from . import __version__, syntax  # noqa: E402
from .console import FLAGS, guard_streams, silence  # noqa: E402
from .errors import GradcliError, InputError, Source, StepByHand  # noqa: E402
from .formats import FORMATS  # noqa: E402
from .modes import HANDLERS, Options  # noqa: E402

EPILOG = """\b
Examples:
  gradcli "sig(a*x+b*y+c)" a=1 b=2 c=-3 x=-1 y=3
  gradcli "q = a*x + b*y + c; sig(q)" a=1 b=2 c=-3 x=-1 y=3
  gradcli -f examples/cs231n.py x=1 y=2
  cat examples/neuron.js | gradcli --json
  gradcli -- "-x^2" x=3
  gradcli "sig(a*x+b*y+c)" a=1 b=2 c=-3 x=-1 y=3 --step 0.01 --steps 100 --freeze x,y
  gradcli "x = 2; y = x*x; z = y + y" --explain
  gradcli "x*y" x=2 y=3 --format csv > grads.csv
  gradcli -f examples/neuron.js --svg neuron.svg
  gradcli -i a=1 x=2                 # a session with a and x bound

\b
Exit codes: 0 success, 1 math error while evaluating (log of a negative,
overflow, ...), 2 a mistake in the program, the bindings or the options
(or input that cannot be read), 70 a bug in gradcli, 74 the output cannot
be written, 130 interrupted (Ctrl-C), 141 the reader of the output went away.

\b
Shell completion (bash, zsh, fish), e.g. in ~/.bashrc:
  eval "$(_GRADCLI_COMPLETE=bash_source gradcli)"
"""

# A binding is NAME=VALUE: a name and a signed number as the language writes them.
_NUMBER = syntax.SIGNED_NUMBER
_BINDING = re.compile(r"\s*(%s)\s*=\s*(%s)\s*\Z" % (syntax.NAME, _NUMBER))
_BINDING_NAME = re.compile(r"\s*(%s)\s*=(?!=)" % syntax.NAME)
_DECIMAL_COMMA = r"[-+]?\d+,\d+"  # 1,5: compiled only for a binding that fails


_LIST_TOKEN = re.compile(r"\s*(?:(\[)|(\])|(,)|(%s))" % _NUMBER)


def parse_list(name: str, raw: str) -> object:
    """`[[1, 2], [3, 4]]` -> a numpy array, or an InputError saying what is wrong."""
    stack: list[list] = []
    top: list | None = None
    pos, want_value = 0, True
    text = raw.strip()
    hint = "write a list of numbers, as in %s=[1,-2.5] or %s=[[1,2],[3,4]] (quoted for the shell)" % (name, name)
    while pos < len(text):
        m = _LIST_TOKEN.match(text, pos)
        if m is None or (top is None and not m.group(1)):
            raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
        pos = m.end()
        if m.group(1):
            if not want_value:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            new: list = []
            if top is not None:
                top.append(new)
                stack.append(top)
            top = new
        elif m.group(2):
            if top is None:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            if stack:
                top = stack.pop()
            else:
                if text[pos:].strip():
                    raise InputError("the value of %s has more after its list: %r" % (name, raw), hint=hint)
                break
            want_value = False
        elif m.group(3):
            if want_value:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            want_value = True
        else:
            if not want_value or top is None:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            top.append(float(m.group(4)))
            want_value = False
    else:
        raise InputError("the value of %s is not a closed list: %r" % (name, raw), hint=hint + "; add ']'")
    from .api import _array
    return _array(name, top)


def parse_binding(word: str) -> tuple[str, float]:
    """`x=3` -> ("x", 3.0), or an InputError saying how to write it."""
    named = _BINDING_NAME.match(word)
    if named and word[named.end():].lstrip().startswith("["):
        return named.group(1), parse_list(named.group(1), word[named.end():])  # type: ignore[return-value]
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
        hint = ("write a decimal number, as in %s=3, %s=-1.5 or %s=2e-3 "
                "(no hex, no underscores, no inf or nan)" % ((named.group(1),) * 3))
        if re.fullmatch(_DECIMAL_COMMA, raw):  # 1,5: a decimal comma
            hint = "write the decimal point as '.': %s=%s" % (named.group(1), raw.replace(",", "."))
        raise InputError("the value of %s is not a number: %r" % (named.group(1), raw), hint=hint)
    raise InputError("expected NAME=VALUE, got %r" % word,
                     hint="write bindings without spaces around '=', as in x=3")


_TIGHT_BINDING = re.compile(r"%s=(?:%s\Z|\[)" % (syntax.NAME, _NUMBER))


def looks_like_binding(word: str) -> bool:
    """`x=3` is a binding; `"x = 3"`, with spaces, is a one-line program."""
    return _TIGHT_BINDING.match(word) is not None


def read_file(path: str) -> str:
    if path == "-":
        return read_stdin()
    from .frontend import read_bytes
    try:
        with open(path, "rb") as f:
            data = read_bytes(f.read)
    except FileNotFoundError:
        raise InputError("no such file: %s" % path, hint="check the path given to -f") from None
    except IsADirectoryError:
        raise InputError("%s is a directory, not a program file" % path) from None
    except OSError as e:
        raise InputError("cannot read %s: %s" % (path, e.strerror or e)) from None
    return decode(data, path)


def read_stdin() -> str:
    from .frontend import read_bytes
    if sys.stdin is None:
        raise InputError("standard input is closed, so there is no program to read")
    try:
        data = read_bytes(sys.stdin.buffer.read)
    except OSError as e:
        raise InputError("cannot read standard input: %s" % (e.strerror or e)) from None
    return decode(data, "<stdin>")


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError("%s is not UTF-8 text (byte 0x%02x at line %d, column %d)"
                         % (name, data[e.start], line, col),
                         hint="save the program as UTF-8") from None


USAGE_HINT = ('gradcli EXPR [NAME=VALUE ...], as in: gradcli "x*y" x=2 y=3; '
              "or gradcli -f FILE; or pipe a program into gradcli")


def read_data(path: str) -> dict[str, object]:
    """The columns of a CSV file with a header of names, each as a vector, or
    an InputError that gives the line and column of what is wrong."""
    import csv
    import io
    text = read_file(path)
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("%s is empty: --data needs a header of names and rows of numbers" % path)
    header = [cell.strip() for cell in rows[0]]
    for k, name in enumerate(header):
        if not re.fullmatch(syntax.NAME, name):
            if re.fullmatch(_NUMBER, name):
                raise InputError("%s has no header: line 1 holds numbers, not the columns' names" % path,
                                 hint="add a first line of names, as in x0,x1,y")
            raise InputError("%s line 1, column %d: %r is not a name" % (path, k + 1, name),
                             hint="name each column as a program names its inputs: letters, digits and _")
    columns: list[list[float]] = [[] for _ in header]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError("%s line %d has %d values, but the header names %d columns"
                             % (path, line, len(row), len(header)))
        for k, cell in enumerate(row):
            if not re.fullmatch(r"\s*%s\s*" % _NUMBER, cell):
                raise InputError("%s line %d, column %d (%s): %r is not a number" % (path, line, k + 1, header[k], cell),
                                 hint="write decimal numbers, as in 1.5 or -2e-3")
            columns[k].append(float(cell))
    if len(rows) < 2:
        raise InputError("%s has a header but no rows of numbers" % path)
    from .api import _array
    return {name: _array(name, col) for name, col in zip(header, columns)}


def gather(words: tuple[str, ...], files: tuple[str, ...],
           interactive: bool = False, data: str | None = None) -> tuple[Source | None, dict[str, float]]:
    """(the program, command-line bindings). Files are joined into one Source
    that still reports errors by file and line. In a session the program is
    optional and standard input is left to the session."""
    rest = list(words)
    source: Source | None = None
    if interactive and sys.stdin is None:
        raise InputError("standard input is closed, and a session reads its lines from it")
    if files:
        source = Source.join((f if f != "-" else "<stdin>", read_file(f)) for f in files)
    elif rest and not looks_like_binding(rest[0]):
        text = rest.pop(0)
        source = Source(read_stdin(), "<stdin>") if text == "-" else Source(text, "<expr>")
    elif interactive:
        pass
    else:
        text = read_stdin() if sys.stdin is not None and not sys.stdin.isatty() else ""
        if not text.strip():
            piped = sys.stdin is not None and not sys.stdin.isatty()
            raise InputError("no program given (standard input is empty)" if piped else "no program given",
                             hint=USAGE_HINT)
        source = Source(text, "<stdin>")
    bindings: dict[str, float] = {}
    if data is not None:
        bindings.update(read_data(data))  # type: ignore[arg-type]
    for word in rest:
        key, value = parse_binding(word)
        bindings[key] = value  # the last binding of a name wins
    return source, bindings


def wants_session(words: tuple[str, ...], files: tuple[str, ...]) -> bool:
    """No program anywhere and a person at the keyboard: open a session."""
    has_program = bool(files) or bool(words and not looks_like_binding(words[0]))
    return not has_program and sys.stdin is not None and sys.stdin.isatty()


def leading_minus(command: click.Command, args: list[str]) -> str | None:
    """The message for an expression that starts with '-' (`gradcli "-x^2" x=3`),
    which click reads as an option, or None if no such word comes before any
    other: the same command, with -- before the expression."""
    takes = {opt: not (p.is_flag or p.count) for p in command.params if isinstance(p, click.Option)
             for opt in p.opts + p.secondary_opts}

    def option(k: int) -> int:
        """How many words the option at args[k] spans (0: it is not an option)."""
        word = args[k]
        if word in takes:
            return 2 if takes[word] and k + 1 < len(args) else 1
        if word.startswith("--") and word.partition("=")[0] in takes:
            return 1
        return 1 if takes.get(word[:2]) and not word.startswith("--") else 0  # -fFILE

    k = 0
    while k < len(args) and option(k):
        k += option(k)
    if k == len(args) or not args[k].startswith("-") or args[k].startswith("--") or args[k] == "-":
        return None
    before = args[:k]
    after: list[str] = []  # the options after the expression go before --, the words after it
    words: list[str] = []
    j = k + 1
    while j < len(args):
        if args[j] == "--":
            words += args[j + 1:]
            break
        n = option(j)
        (after if n else words).extend(args[j:j + max(n, 1)])
        j += max(n, 1)
    word = args[k]
    fixed = " ".join(_shell_word(w) for w in ["gradcli"] + before + after + ["--", word] + words)
    if word[1:].isalpha():  # -x: an expression, or an option mistyped
        return "no such option: %s; if %s is the expression, put -- before it: %s" % (word, word, fixed)
    return ("%s starts with '-', so it reads as an option; to start the expression with a minus sign, "
            "put -- before it: %s" % (word, fixed))


def _shell_word(word: str) -> str:
    """`word` as typed in a shell: bare, in double quotes, or in single quotes."""
    if re.fullmatch(r"[\w@%+=:,./-]+", word):
        return word
    if not any(c in word for c in '"$`\\!'):
        return '"%s"' % word
    import shlex
    return shlex.quote(word)


# --help lists options in these sections, in this order (by parameter name).
SECTIONS = {
    "Input": ["files", "interactive"],
    "Output": ["fmt", "as_json", "svg", "output", "precision", "show_all", "no_nodes", "no_color"],
    "Gradient ascent": ["step", "steps", "descend", "freeze", "every", "tol", "plot", "log"],
    "Explain": ["explain", "paths", "emit", "verify", "check", "h", "dot", "tree", "draw", "html"],
}


class SectionedCommand(click.Command):
    """click's help, with the options grouped under headings, and a word for
    an expression that starts with '-', which click takes for an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption:
            message = leading_minus(self, given)
            if message is None:
                raise
            raise click.UsageError(message, ctx) from None

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records: dict[str, tuple[str, str]] = {}
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx) if isinstance(p, click.Option) else None
            if record is not None:
                records[p.name or ""] = record
        for title, names in list(SECTIONS.items()) + [("Other", list(records))]:
            rows = [records.pop(n) for n in names if n in records]
            if rows:
                with formatter.section(title + " options"):
                    formatter.write_dl(rows)


class Number(click.ParamType):
    """An option's number, written as the language and the bindings write
    numbers (a sign, ASCII digits, no underscores, hex, inf or nan), finite
    as a float, and within its bounds: `least` (with `open`, above it) and,
    with `nonzero`, never 0."""

    name = "number"
    _WRITTEN = re.compile(r"\s*%s\s*\Z" % _NUMBER)

    def __init__(self, least: float | None = None, open: bool = False, nonzero: bool = False,
                 example: str = "0.01", zero: str = "0 is not allowed"):
        self.least, self.open, self.nonzero, self.example, self.zero = least, open, nonzero, example, zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):  # a default
            return value
        text = str(value)
        if not self._WRITTEN.match(text):
            self.fail("%r is not a number: write a decimal number, as in %s "
                      "(no underscores, hex, inf or nan)" % (text, self.example), param, ctx)
        x = float(text)
        if not math.isfinite(x):
            self.fail("%s is too large for double precision (above 1.8e308)" % text.strip(), param, ctx)
        if self.nonzero and x == 0.0:
            written = "" if re.fullmatch(r"[-+]?[0.]*(?:[eE].*)?", text.strip()) else (
                "%s is 0 in double precision, and " % text.strip())
            self.fail(written + self.zero, param, ctx)
        if self.least is not None and (x <= self.least if self.open else x < self.least):
            self.fail("%s is not %s %s" % (text.strip(), "above" if self.open else "at least",
                                           _plain(self.least)), param, ctx)
        return x


def _plain(x: float) -> str:
    return "%d" % x if x == int(x) else repr(x)


# --- Which options go with which mode -------------------------------------------
#
# A mode is chosen by its flags; with none, it is the table (or a session,
# when there is no program and a person at the keyboard). A mode takes the
# options in its row and those in EVERYWHERE; json, csv, tsv and markdown
# stand for --format (and --json). This table is the only place that says
# which options go with which mode, and choose_mode the only place that checks.

EVERYWHERE = ("words", "files", "precision", "no_color", "seed", "data")
STEPPING = ("steps", "descend", "freeze", "every", "tol", "plot", "log")
FORMATTED = ("json", "csv", "tsv", "markdown")


class Mode(NamedTuple):
    name: str                 # its handler in modes.HANDLERS
    flags: tuple[str, ...]    # the options that choose it
    options: tuple[str, ...]  # the options that go with it
    does: str = ""            # what it does, for the message that refuses an option
    hint: str = ""            # how to use it, for the message about an option that needs it
    joins: tuple[str, ...] = ()  # flags of other modes it takes as options (--step --html: the run's page)

    def takes(self, name: str) -> bool:
        return name in EVERYWHERE or name in self.flags or name in self.options or name in self.joins


MODES = (
    #    name       chosen by              goes with
    Mode("table",   (),                    ("svg", "output", "show_all", "no_nodes") + FORMATTED),
    Mode("steps",   ("step",),             STEPPING + ("output", "no_nodes", "json"),
         does="prints its own steps and summary", hint="give a step size, as in --step 0.01 --steps 100",
         joins=("html",)),
    Mode("explain", ("explain", "paths"),  ("svg", "output", "show_all"),
         does="writes the backward pass out for people"),
    Mode("emit",    ("emit",),             (), does="writes code"),
    Mode("verify",  ("verify",),           ("svg", "json"), does="checks the program's hand-written backward pass"),
    Mode("check",   ("check",),            ("svg", "output", "h", "json"),
         does="checks the gradients against central differences"),
    Mode("dot",     ("dot",),              ("output",), does="writes Graphviz text (dot -Tsvg draws it)"),
    Mode("tree",    ("tree",),             ("svg", "output"), does="draws the graph as a tree"),
    Mode("draw",    ("draw",),             ("output", "show_all"), does="draws the circuit in a file"),
    Mode("html",    ("html",),             ("output", "show_all"), does="writes the circuit as a page"),
    Mode("session", ("interactive",),      (), does="opens a session"),
)
TABLE, SESSION = MODES[0], MODES[-1]

# Options that go with the same mode but not with each other.
APART = (("plot", "json", "--plot draws for people and --json writes for programs; choose one"),
         ("log", "json", "--log draws a chart for people and --json writes for programs; choose one"))


def choose_mode(ctx: click.Context, params: dict[str, Any]) -> Mode:
    """The mode the options ask for, or a UsageError that names the options
    that do not go together and what each goes with."""
    given = _given(ctx, params)
    chosen = [m for m in MODES if any(f in given for f in m.flags)]
    # A mode whose flag another chosen mode joins to itself (--html with --step) is that one's.
    chosen = [m for m in chosen if not any(o is not m and set(m.flags) <= set(o.joins) for o in chosen)]
    if len(chosen) > 1:
        shown = ["/".join(given[f] for f in m.flags if f in given) for m in chosen]
        raise click.UsageError("%s %s not combine with %s; choose one of %s"
                               % (shown[0], "do" if "/" in shown[0] else "does", ", ".join(shown[1:]),
                                  ", ".join(shown)))
    if chosen:
        mode = chosen[0]
    elif all(n in EVERYWHERE for n in given) and wants_session(params["words"], params["files"]):
        mode = SESSION
    else:
        mode = TABLE
    stray = [n for n in given if not mode.takes(n)]
    if stray:
        raise click.UsageError(_stray(ctx, mode, stray, given))
    for a, b, why in APART:
        if a in given and b in given:
            raise click.UsageError(why)
    return mode


def _given(ctx: click.Context, params: dict[str, Any]) -> dict[str, str]:
    """The options given, in --help's order: name -> as the user knows it.
    A --format other than the table counts as its name (json, csv, ...)."""
    fmt = "json" if params["as_json"] else params["fmt"]
    given = {}
    for p in ctx.command.params:
        if p.name == "fmt":
            if fmt != "table":
                given[fmt] = "--json" if params["as_json"] else "--format " + fmt
        elif p.name and p.name != "as_json" and ctx.get_parameter_source(p.name) in (
                ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT):
            given[p.name] = _flag(p)
    return given


def _flag(p: click.Parameter) -> str:
    return max(p.opts, key=len)


def _stray(ctx: click.Context, mode: Mode, stray: list[str], given: dict[str, str]) -> str:
    """The message for options the mode does not take, with what they go with."""
    flags = {p.name: _flag(p) for p in ctx.command.params if p.name}

    def modes(ms: list[Mode], last: str) -> str:
        names = ["the table" if not m.flags else "/".join(flags[f] for f in m.flags) for m in ms]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + last + names[-1]

    groups: dict[tuple[str, ...], list[str]] = {}  # the modes an option goes with -> the options
    for name in stray:
        groups.setdefault(tuple(m.name for m in MODES if m.takes(name)), []).append(name)
    clauses = []
    for names, options in groups.items():
        ms = [m for m in MODES if m.name in names]
        shown = ", ".join(given[n] for n in options)
        if mode is TABLE:  # options of a mode that no flag chose
            clauses.append("%s only make%s sense with %s" % (shown, "s" if len(options) == 1 else "",
                                                            modes(ms, " or "))
                           + "".join("; " + m.hint for m in ms if m.hint))
        else:
            clauses.append("%s go%s with %s" % (shown, "es" if len(options) == 1 else "", modes(ms, " and ")))
    if mode is TABLE:
        return "; ".join(clauses)
    shown = ", ".join(given[n] for n in stray)
    return "%s %s not combine with %s, which %s; %s" % (
        shown, "does" if len(stray) == 1 else "do", "/".join(given[f] for f in mode.flags if f in given),
        mode.does, "; ".join(clauses))


@click.command(cls=SectionedCommand, context_settings={"help_option_names": ["-h", "--help"]},
               epilog=EPILOG)
@click.argument("words", nargs=-1, metavar="[EXPR] [NAME=VALUE]...")
@click.option("-f", "--file", "files", multiple=True, metavar="FILE", type=click.Path(allow_dash=True),
              help="Read the program from FILE ('-' for stdin); repeat to concatenate files.")
@click.option("-i", "--interactive", is_flag=True,
              help="Open a session: bind inputs, define names, see tables (the default with no "
                   "program on a terminal).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", metavar="FORMAT",
              help="table (the default), json, csv, tsv or markdown.")
@click.option("--json", "as_json", is_flag=True,
              help="Same as --format json: one JSON object per output, one per line, full precision.")
@click.option("--svg", metavar="FILE", type=click.Path(),  # modes.save_svg checks the name
              help="Also save what is shown as an SVG picture in FILE: the table, or the output of "
                   "--explain, --paths, --verify, --check or --tree.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True, metavar="N",
              help="Significant digits shown in the table and Markdown.")
@click.option("--all", "show_all", is_flag=True, help="Show every node, however large the graph.")
@click.option("--data", metavar="FILE.csv", type=click.Path(allow_dash=True),
              help="Bind each column of a CSV file, named by its header, as a vector.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, metavar="N",
              help="Seed of randn's draws: the same seed, the same arrays.")
@click.option("--no-nodes", is_flag=True, help="Leave the per-node list out of --json.")
@click.option("--no-color", is_flag=True, help="No colours (also when NO_COLOR is set).")
@click.option("--step", type=Number(nonzero=True, example="0.01 or -1e-3",
                                    zero="a step of 0 moves nothing; give a size, as in --step 0.01"),
              metavar="SIZE",
              help="Gradient ascent: move every input by SIZE times its gradient, then evaluate again.")
@click.option("--steps", type=click.IntRange(0), metavar="N", help="Repeat the step N times (default 1).")
@click.option("--descend", is_flag=True, help="Step against the gradient: minimise the output.")
@click.option("--freeze", metavar="NAMES", help="Comma-separated inputs that the steps leave alone.")
@click.option("--every", type=click.IntRange(1), metavar="K", help="Print only every K-th step.")
@click.option("--tol", type=Number(least=0, example="1e-9 or 0.001"), metavar="T",
              help="Stop early when the output changes by less than T in one step.")
@click.option("--output", metavar="NAME", help="Report only this output of a program (and optimise it with --step).")
@click.option("--plot", is_flag=True, help="After the steps, chart the output over the steps, as wide as the terminal.")
@click.option("--log", is_flag=True, help="The --plot chart with the output's axis on a log scale (for a descent toward 0).")
@click.option("--explain", is_flag=True, help="After the table, the backward pass line by line, with its numbers.")
@click.option("--paths", is_flag=True, help="After the table, each gradient as a sum over paths.")
@click.option("--emit", type=click.Choice(["python", "js", "python-gates", "js-gates"]),
              metavar="python|js|python-gates|js-gates",
              help="Print the forward and backward pass as a self-contained function, or (-gates) "
                   "as the tutorial's Unit and gate objects.")
@click.option("--verify", is_flag=True, help="Check the program's hand-written backward pass (exit 1 if wrong).")
@click.option("--check", is_flag=True, help="Gradient check against central differences (exit 1 if wrong).")
@click.option("--h", "h", type=Number(least=0, open=True, example="1e-5 or 0.001"), default=1e-5, show_default=True, metavar="H",
              help="Step of the central differences of --check.")
@click.option("--dot", is_flag=True, help="Print the graph in Graphviz DOT, wires labelled value/gradient.")
@click.option("--tree", is_flag=True, help="Show the graph as a tree rooted at the output.")
@click.option("--draw", metavar="FILE", type=click.Path(),  # modes.Draw checks the name
              help="Draw the circuit in FILE, .svg or .png: values above the wires, gradients below "
                   "(refused over 300 gates unless --all).")
@click.option("--html", metavar="FILE", type=click.Path(),  # modes.save_page checks the name
              help="Write the circuit as one self-contained page to step through the backward pass "
                   "(with --step: the output's curve and the inputs' paths too).")
@click.version_option(__version__, "-V", "--version", prog_name="gradcli")
@click.pass_context
def main(ctx: click.Context, **params: Any) -> None:
    """Compute an expression's value and its gradients by backpropagation.

    EXPR is an expression or a small program (statements separated by ';' or
    newlines); NAME=VALUE binds its inputs. Without EXPR the program is read
    from -f FILE or standard input; with neither, on a terminal, gradcli opens
    an interactive session.
    """
    mode = choose_mode(ctx, params)
    bindings: dict[str, float] = {}
    try:
        source, bindings = gather(params["words"], params["files"], interactive=mode.name == "session",
                                  data=params["data"])
        code = HANDLERS[mode.name].run(source, bindings, Options(**params))
    except GradcliError as e:
        if isinstance(e, StepByHand):  # its step size may be bound here: step_size=0.01
            e = e.bound(bindings)
        sys.stderr.write(e.render(FLAGS) + "\n")
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # before click can say "Aborted!" and exit 1
        sys.exit(INTERRUPTED)
    sys.exit(code)


# Exit codes beyond the errors' own (1, 2): see docs/usage.md. 70 and 74 are
# sysexits.h's EX_SOFTWARE and EX_IOERR; 130 and 141 are what a shell reports
# for a command ended by SIGINT and SIGPIPE (128 + the signal's number).
INTERNAL, OUTPUT_FAILED, INTERRUPTED = 70, 74, 130
# How writing fails when the output is full, gone or not writable.
WRITE_ERRORS = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EPIPE", "EBADF",
                                                  "EROFS") if hasattr(errno, name)}


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
    """main, and its exit code."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises KeyboardInterrupt again
        if sys.stdout is None:  # closed (>&-): refuse before a file opened later takes its place
            sys.stderr.write("gradcli: cannot write the output: standard output is closed\n")
            return OUTPUT_FAILED
        return main.main(prog_name="gradcli", standalone_mode=False) or 0
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    except KeyboardInterrupt:
        return INTERRUPTED
    except click.Abort as e:  # click's Ctrl-C (or end of input) while it reads the options
        return INTERRUPTED if isinstance(e.__cause__, KeyboardInterrupt) else 2
    except click.ClickException as e:
        e.show(file=sys.stderr)
        return e.exit_code
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
