"""The command line: read the program and bindings, run, print, exit.

Library errors become messages on stderr here and nowhere else.
"""
from __future__ import annotations

import os
import re
import sys

import click

import gradcli

from . import __version__
from .errors import GradcliError, InputError, Source
from .formats import FORMATS

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
overflow, ...), 2 a mistake in the program, the bindings or the options,
70 a bug in gradcli, 130 interrupted (Ctrl-C).

\b
Shell completion (bash, zsh, fish), e.g. in ~/.bashrc:
  eval "$(_GRADCLI_COMPLETE=bash_source gradcli)"
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


_TIGHT_BINDING = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=%s\Z" % _NUMBER)


def looks_like_binding(word: str) -> bool:
    """`x=3` is a binding; `"x = 3"`, with spaces, is a one-line program."""
    return _TIGHT_BINDING.match(word) is not None


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


USAGE_HINT = ('gradcli EXPR [NAME=VALUE ...], as in: gradcli "x*y" x=2 y=3; '
              "or gradcli -f FILE; or pipe a program into gradcli")


def gather(words: tuple[str, ...], files: tuple[str, ...],
           interactive: bool = False) -> tuple[Source | None, dict[str, float]]:
    """(the program, command-line bindings). Files are joined into one Source
    that still reports errors by file and line. In a session the program is
    optional and standard input is left to the session."""
    rest = list(words)
    source: Source | None = None
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
            raise InputError("no program given (standard input is empty)" if sys.stdin else "no program given",
                             hint=USAGE_HINT)
        source = Source(text, "<stdin>")
    bindings: dict[str, float] = {}
    for word in rest:
        key, value = parse_binding(word)
        bindings[key] = value  # the last binding of a name wins
    return source, bindings


def wants_session(words: tuple[str, ...], files: tuple[str, ...]) -> bool:
    """No program anywhere and a person at the keyboard: open a session."""
    has_program = bool(files) or bool(words and not looks_like_binding(words[0]))
    return not has_program and sys.stdin is not None and sys.stdin.isatty()


# --help lists options in these sections, in this order (by parameter name).
SECTIONS = {
    "Input": ["files", "interactive"],
    "Output": ["fmt", "as_json", "svg", "output", "precision", "show_all", "no_nodes", "no_color"],
    "Gradient ascent": ["step", "steps", "descend", "freeze", "every", "tol", "plot"],
    "Explain": ["explain", "paths", "emit", "verify", "check", "h", "dot", "tree"],
}


class SectionedCommand(click.Command):
    """click's help, with the options grouped under headings."""

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
@click.option("--svg", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also save the table as an SVG picture in FILE.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True, metavar="N",
              help="Significant digits shown in the table and Markdown.")
@click.option("--all", "show_all", is_flag=True, help="Show every node, however large the graph.")
@click.option("--no-nodes", is_flag=True, help="Leave the per-node list out of --json.")
@click.option("--no-color", is_flag=True, help="No colours (also when NO_COLOR is set).")
@click.option("--step", type=float, metavar="SIZE",
              help="Gradient ascent: move every input by SIZE times its gradient, then evaluate again.")
@click.option("--steps", type=click.IntRange(0), metavar="N", help="Repeat the step N times (default 1).")
@click.option("--descend", is_flag=True, help="Step against the gradient: minimise the output.")
@click.option("--freeze", metavar="NAMES", help="Comma-separated inputs that the steps leave alone.")
@click.option("--every", type=click.IntRange(1), metavar="K", help="Print only every K-th step.")
@click.option("--tol", type=click.FloatRange(0), metavar="T",
              help="Stop early when the output changes by less than T in one step.")
@click.option("--output", metavar="NAME", help="Report only this output of a program (and optimise it with --step).")
@click.option("--plot", is_flag=True, help="After the steps, chart the output over the steps.")
@click.option("--explain", is_flag=True, help="After the table, the backward pass line by line, with its numbers.")
@click.option("--paths", is_flag=True, help="After the table, each gradient as a sum over paths.")
@click.option("--emit", type=click.Choice(["python", "js"]), metavar="python|js",
              help="Print the forward and backward pass as a self-contained function.")
@click.option("--verify", is_flag=True, help="Check the program's hand-written backward pass (exit 1 if wrong).")
@click.option("--check", is_flag=True, help="Gradient check against central differences (exit 1 if wrong).")
@click.option("--h", "h", type=click.FloatRange(min=0, min_open=True), default=1e-5, show_default=True, metavar="H",
              help="Step of the central differences of --check.")
@click.option("--dot", is_flag=True, help="Print the graph in Graphviz DOT, wires labelled value/gradient.")
@click.option("--tree", is_flag=True, help="Show the graph as a tree rooted at the output.")
@click.version_option(__version__, "-V", "--version", prog_name="gradcli")
def main(words, files, interactive, fmt, as_json, svg, precision, show_all, no_nodes, no_color,
         step, steps, descend, freeze, every, tol, output, plot,
         explain, paths, emit, verify, check, h, dot, tree):
    """Compute an expression's value and its gradients by backpropagation.

    EXPR is an expression or a small program (statements separated by ';' or
    newlines); NAME=VALUE binds its inputs. Without EXPR the program is read
    from -f FILE or standard input; with neither, on a terminal, gradcli opens
    an interactive session.
    """
    mode = _insight_mode(emit, verify, check, dot, tree, explain or paths, as_json)
    interactive = interactive or wants_session(words, files)
    try:
        source, bindings = gather(words, files, interactive)
        if interactive:
            from .repl import session
            sys.exit(session(source, bindings, no_color=no_color, precision=precision))
        assert source is not None
        stepping = dict(step=step, steps=steps, descend=descend, freeze=freeze, every=every,
                        tol=tol, plot=plot)
        if any(v not in (None, False) for v in stepping.values()):
            others = [flag for flag, on in (("--explain", explain), ("--paths", paths), ("--" + mode, mode),
                                            ("--svg", svg), ("--format " + fmt, fmt != "table")) if on]
            if others:
                raise click.UsageError("--step prints its own steps and summary; it does not combine "
                                       "with %s" % ", ".join(others))
            from .stepcli import run_steps
            sys.exit(run_steps(source, source.name, bindings, as_json=as_json, precision=precision,
                               no_nodes=no_nodes, no_color=no_color, show_all=show_all, output=output,
                               **stepping))
        if mode == "verify":
            from .verify import verify as check_backward
            results = check_backward(source, bindings, precision=precision)
        else:
            results = gradcli.evaluate(source, bindings)
            if output is not None:
                results = pick_output(results, output)
        if svg:
            save_svg(results, svg, precision, None if show_all else 60)
    except GradcliError as e:
        click.echo(e.render(), err=True)
        sys.exit(e.exit_code)
    if mode:
        sys.exit(_insight(mode, results, as_json, precision, no_color, emit, h))
    show(results, "json" if as_json else fmt, precision, show_all, no_nodes, no_color, explain, paths)


def pick_output(results: list, name: str) -> list:
    """--output NAME: the one result of that output (by its label or its name)."""
    from .steps import output_node
    _, node = output_node(results[0].graph, name)
    return [r for r in results if r.output == node]


def show(results: list, fmt: str, precision: int, show_all: bool, no_nodes: bool,
         no_color: bool, explain: bool = False, paths: bool = False) -> None:
    out = sys.stdout
    if fmt == "json":
        from .render import write_json
        for r in results:
            write_json(r, out, nodes=not no_nodes)
    elif fmt in ("csv", "tsv"):
        from .formats import delimited
        out.write(delimited(results, "," if fmt == "csv" else "\t"))
    elif fmt == "markdown":
        from .formats import markdown
        out.write(markdown(results, precision))
    else:
        from .render import table
        console = _console(no_color)
        for k, r in enumerate(results):
            if k:
                console.print()
            console.print(table(r, precision, None if show_all else 60))
            if explain:
                from .explain import explanation
                console.print(explanation(r, precision))
            if paths:
                from .explain import path_listing
                console.print(path_listing(r, precision, forward=not explain))


def _insight_mode(emit, verify, check, dot, tree, explaining, as_json) -> str:
    """Which of --emit/--verify/--check/--dot/--tree was asked for ("" for the table)."""
    modes = [m for m, on in (("emit", emit), ("verify", verify), ("check", check), ("dot", dot),
                             ("tree", tree)) if on]
    if len(modes) > 1:
        raise click.UsageError("choose one of %s" % ", ".join("--" + m for m in modes))
    mode = modes[0] if modes else ""
    if mode and explaining:
        raise click.UsageError("--explain and --paths go with the table, not with --%s" % mode)
    if as_json and (mode in ("emit", "dot", "tree") or explaining):
        raise click.UsageError("--json goes with the table, --check and --verify")
    return mode


def _insight(mode, results, as_json, precision, no_color, target, step) -> int:
    """Run --emit/--verify/--check/--dot/--tree; the exit code."""
    if mode == "emit":
        from .emit import emit
        sys.stdout.write(emit(results[0].graph, target))
        return 0
    if mode == "dot":
        from .draw import dot
        sys.stdout.write(dot(results, precision))
        return 0
    console = _console(no_color)
    if mode == "tree":
        from .draw import tree
        for r in results:
            console.print(tree(r, precision))
        return 0
    if mode == "verify":
        from .verify import to_json, verify_view
        reports = [results]
    else:
        from .check import check, check_table as verify_view, to_json  # type: ignore[assignment]
        reports = check(results, step)
    for k, report in enumerate(reports):
        if as_json:
            from .render import json_line
            sys.stdout.write(json_line(to_json(report)) + "\n")
        else:
            if k:
                console.print()
            console.print(verify_view(report, precision))
    return 0 if all(r.ok for r in reports) else 1


def save_svg(results: list, path: str, precision: int, max_rows: int | None) -> None:
    from .formats import save_svg as save
    try:
        save(results, path, precision, max_rows)
    except OSError as e:
        raise InputError("cannot write %s: %s" % (path, e.strerror or e),
                         hint="check that the folder exists and can be written") from None


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
    except MemoryError:
        sys.stderr.write("gradcli: out of memory: the program is too large for this machine\n"
                         "hint: a million operations take about 370 MB; split the computation\n")
        sys.exit(1)
    except Exception as e:  # a bug in gradcli, never the user's fault
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        sys.stderr.write("gradcli: internal error: %s: %s\n"
                         "This is a bug in gradcli; please report it with the command that caused it.\n"
                         % (type(e).__name__, e))
        sys.exit(70)
