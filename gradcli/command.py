"""The command line as click reads it: the options and their help, the
messages for options that do not fit, and which mode the options choose.

cli.py reads a plain command (an expression, bindings and a few options in
their plain spelling) without click, since importing click costs more than
the rest of such a run; everything else comes here.
"""
from __future__ import annotations

import math
import re
import sys
from typing import Any

import click
from click.core import ParameterSource

from . import __version__
from .formats import FORMATS
from .console import INTERRUPTED
from .inputs import _NUMBER, execute, wants_session
from .modes import APART, EVERYWHERE, MODES, SESSION, TABLE, Mode

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
    execute(choose_mode(ctx, params), params)


def invoke() -> int:
    """The command through click, and its exit code; click's own errors
    (usage, a bad option value) are printed here, as click prints them."""
    try:
        return main.main(prog_name="gradcli", standalone_mode=False) or 0
    except click.Abort as e:  # click's Ctrl-C (or end of input) while it reads the options
        return INTERRUPTED if isinstance(e.__cause__, KeyboardInterrupt) else 2
    except click.ClickException as e:
        e.show(file=sys.stderr)
        return e.exit_code
