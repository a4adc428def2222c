"""The command line's modes. Each computes one kind of result and shows it:

    mode     result             shows
    table    list[Result]       the table, or --format json/csv/tsv/markdown
    explain  list[Result]       the table, then the backward pass in words
    emit     Graph              the forward and backward pass as code
    verify   VerifyReport       the hand-written backward pass, checked
    check    list[CheckReport]  the gradients against central differences
    dot      list[Result]       Graphviz text
    tree     list[Result]       the graph as a tree
    draw     list[Result]       the circuit as an SVG or PNG picture
    html     list[Result]       the circuit as a page to step through
    steps    -                  the step loop, printed as it runs (stepcli.py)
    session  -                  the interactive session (repl.py)

cli.py chooses the mode (its table MODES says which options go with which),
and prints the errors a mode raises. A mode that shows rich renderables
gives them as blocks, printed with a blank line between them; --svg saves
the same blocks as a picture.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from .console import FLAGS, console
from .errors import InputError, Source

if TYPE_CHECKING:
    from typing import Callable, TextIO

    from rich.console import RenderableType

    from .check import CheckReport
    from .engine import Result
    from .graph import Graph
    from .gatecheck import GateReport
    from .verify import VerifyReport

    Blocks = list[list[RenderableType]]
    Writer = Callable[[TextIO], object]


class Options(NamedTuple):
    """The command line's options, by click's parameter names."""
    words: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    interactive: bool = False
    fmt: str = "table"
    as_json: bool = False
    svg: str | None = None
    precision: int = 4
    show_all: bool = False
    no_nodes: bool = False
    no_color: bool = False
    step: float | None = None
    steps: int | None = None
    descend: bool = False
    freeze: str | None = None
    every: int | None = None
    tol: float | None = None
    output: str | None = None
    plot: bool = False
    log: bool = False
    explain: bool = False
    paths: bool = False
    emit: str | None = None
    verify: bool = False
    check: bool = False
    h: float = 1e-5
    dot: bool = False
    tree: bool = False
    draw: str | None = None
    html: str | None = None
    seed: int = 0
    data: str | None = None

    @property
    def format(self) -> str:
        return "json" if self.as_json else self.fmt

    @property
    def max_rows(self) -> int | None:
        return None if self.show_all else 60


# --- Which options go with which mode -------------------------------------------
#
# A mode is chosen by its flags; with none, it is the table (or a session,
# when there is no program and a person at the keyboard). A mode takes the
# options in its row and those in EVERYWHERE; json, csv, tsv and markdown
# stand for --format (and --json). This table is the only place that says
# which options go with which mode; command.choose_mode checks them, and
# cli.plain_params leaves to it every command that does not fit.

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


class Handler:
    """One mode: compute a result, then show it: text for programs (`text`), or else
    blocks of rich renderables for people (`blocks`, also what --svg saves)."""

    def compute(self, source: Source, bindings: dict[str, float], opts: Options) -> Any:
        raise NotImplementedError

    def blocks(self, result: Any, opts: Options) -> Blocks:
        return []

    def text(self, result: Any, opts: Options) -> Writer | None:
        return None

    def code(self, result: Any) -> int:
        return 0

    arrays = False  # whether the mode works on array programs (else it refuses them)
    what = ""       # the mode, as the refusal names it

    def refuse_arrays(self, source: Source, bindings: dict[str, float], opts: Options) -> None:
        """InputError if this mode does not take array programs and this is one."""
        if self.arrays and opts.format not in ("csv", "tsv", "markdown"):
            return
        if not uses_arrays(source, bindings):
            return
        from .api import compile
        if compile(source, bindings, seed=opts.seed).arrays:
            what = self.what or "--format %s" % opts.format
            raise InputError("%s does not work on arrays yet" % what,
                             hint="the table and --json show an array program's values and gradients")

    def run(self, source: Source | None, bindings: dict[str, float], opts: Options) -> int:
        """Compute, save the picture, show; the exit code. Raises GradcliError."""
        assert source is not None
        self.refuse_arrays(source, bindings, opts)
        result = self.compute(source, bindings, opts)
        write = self.text(result, opts)
        blocks = self.blocks(result, opts) if write is None or opts.svg is not None else []
        if opts.svg is not None:  # --svg '' too: save_svg refuses it
            save_svg(blocks, opts.svg, opts.files)
        if write is not None:
            write(sys.stdout)
        else:
            out = console(opts.no_color)
            for k, block in enumerate(blocks):
                if k:
                    out.print()
                for part in block:
                    out.print(part)
        return self.code(result)


def uses_arrays(source: Source, bindings: dict) -> bool:
    """Whether the program may use arrays: a cheap look for their syntax, or an array bound."""
    text = source.text
    return (any(not isinstance(v, (int, float)) for v in bindings.values())
            or any(s in text for s in ("[", "@", "np.", "numpy.", ".T", ".dot", ".sum", ".mean", ".max", ".min",
                                       ".reshape", "sum(", "mean(", "dot(", "randn(", "zeros(", "ones(",
                                       "softmax(", "logsumexp(", "cross_entropy(", "max(", "min(",
                                       "reshape(", "transpose(", "matmul(", "amax(", "amin(", "maximum(",
                                       "minimum(")))


def save_svg(blocks: Blocks, path: str, inputs: tuple[str, ...] = ()) -> None:
    """The picture saved in `path`, which must name a file that is not one of
    the program's own files (`inputs`, the -f FILEs). `-` is refused rather
    than meaning standard output, which the table or text already goes to."""
    check_target("--svg", path, inputs, "table.svg")
    from .formats import save_picture
    try:
        save_picture(blocks, path)
    except OSError as e:
        raise cannot_write(path, e) from None


def check_target(option: str, path: str, inputs: tuple[str, ...], name: str) -> None:
    """Refuse a file name for `option` that would lose something: none, `-`,
    a folder, or one of the program's own files; `name` is an example."""
    example = "as in %s %s" % (option, name)
    ext = os.path.splitext(name)[1]
    if not path.strip():
        raise InputError("%s needs a file name" % option, hint=example)
    if path == "-":
        raise InputError("%s - would mix the picture into what gradcli prints on standard output" % option,
                         hint="give a file name, %s" % example)
    if os.path.isdir(path):
        raise InputError("%s %s is a folder, not a file" % (option, path),
                         hint="give a file name in it, as in %s %s" % (option, os.path.join(path, name)))
    for f in inputs:
        if f != "-" and _same_file(f, path):
            stem = os.path.splitext(os.path.basename(path))[0] or os.path.splitext(name)[0]
            raise InputError("%s %s is the program's own file (-f %s): the picture would replace the program"
                             % (option, path, f), hint="give another name, as in %s %s%s" % (option, stem, ext))
    for fd, what in ((0, "the file standard input reads from"), (1, "the file standard output goes to")):
        if _is_stream_file(fd, path):
            stem = os.path.splitext(os.path.basename(path))[0] or os.path.splitext(name)[0]
            raise InputError("%s %s is %s: the picture would %s" % (
                option, path, what, "replace it" if fd == 0 else "mix with what gradcli prints there"),
                hint="give another name, as in %s %s%s" % (option, stem, ext))


def cannot_write(path: str, e: OSError) -> InputError:
    import errno
    hint = {errno.ENOSPC: "the disk is full: free some space, or write the file elsewhere",
            errno.EACCES: "check that the folder can be written, or write the file elsewhere",
            errno.ENOENT: "check that the folder exists"}.get(e.errno or 0, "check that the folder exists and can be written")
    return InputError("cannot write %s: %s" % (path, e.strerror or e), hint=hint)


def _is_stream_file(fd: int, path: str) -> bool:
    """Whether `path` names the regular file that descriptor `fd` is open on
    (`gradcli - --svg prog.py < prog.py`, `gradcli ... --svg out > out`)."""
    import stat
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:  # the stream is closed, or the file does not exist yet
        return False
    return stat.S_ISREG(here.st_mode) and (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _same_file(a: str, b: str) -> bool:
    """Whether two names reach the same file (through links, `..`, hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def evaluate(source: Source, bindings: dict[str, float], opts: Options) -> "list[Result]":
    """Every output's result, or only --output's."""
    from .api import evaluate as run
    results = run(source, bindings, seed=opts.seed)
    if opts.output is not None:
        from .steps import output_node
        _, node = output_node(results[0].graph, opts.output)
        results = [r for r in results if r.output == node]
    return results


class Evaluated(Handler):
    def compute(self, source: Source, bindings: dict[str, float], opts: Options) -> "list[Result]":
        return evaluate(source, bindings, opts)


class Table(Evaluated):
    """The table of every output, or the same numbers as JSON, CSV, TSV or Markdown."""
    arrays = True

    def blocks(self, results: "list[Result]", opts: Options) -> Blocks:
        from .render import table
        blocks: Blocks = [[table(r, opts.precision, opts.max_rows, FLAGS)] for r in results]
        if results and results[0].graph.circuit is not None:  # Unit-and-gate code: its Units and step
            from .gateview import circuit_view
            blocks.append([circuit_view(results[0], opts.precision)])
        return blocks

    def text(self, results: "list[Result]", opts: Options) -> Writer | None:
        fmt = opts.format
        if fmt == "json":
            from .render import write_json

            def write(out: TextIO) -> None:
                for r in results:  # a result at a time: a million nodes are never one string
                    write_json(r, out, nodes=not opts.no_nodes, words=FLAGS)
            return write
        if fmt in ("csv", "tsv"):
            from .formats import delimited
            return lambda out: out.write(delimited(results, "," if fmt == "csv" else "\t"))
        if fmt == "markdown":
            from .formats import markdown
            return lambda out: out.write(markdown(results, opts.precision, FLAGS))
        return None


class Explain(Evaluated):
    """The table, then the backward pass line by line (--explain) and each
    gradient as a sum over paths (--paths)."""
    what = "--explain and --paths"
    arrays = True

    def blocks(self, results: "list[Result]", opts: Options) -> Blocks:
        from .explain import explanation, path_listing
        from .render import table
        blocks = []
        for r in results:
            block: list[RenderableType] = [table(r, opts.precision, opts.max_rows, FLAGS)]
            if opts.explain and r.graph.circuit is not None:  # Unit-and-gate code: in its own terms
                from .gateview import circuit_view, explanation as in_objects
                block += [circuit_view(r, opts.precision), in_objects(r, opts.precision)]
            elif opts.explain:
                block.append(explanation(r, opts.precision))
            if opts.paths and r.graph.arrays:
                raise InputError("--paths does not work on arrays yet",
                                 hint="--explain writes an array program's backward pass, with shapes")
            if opts.paths:
                block.append(path_listing(r, opts.precision, forward=not opts.explain))
            blocks.append(block)
        return blocks


class Emit(Handler):
    """The forward and backward pass as Python or JavaScript, as a function or
    (js-gates, python-gates) as Unit and gate objects."""
    what = "--emit"
    arrays = True

    def compute(self, source: Source, bindings: dict[str, float], opts: Options) -> "Graph":
        from .api import evaluate as run
        return run(source, bindings)[0].graph  # evaluated, so that a math error says so here

    def text(self, graph: "Graph", opts: Options) -> Writer:
        from .emit import emit
        assert opts.emit is not None
        if opts.emit.endswith("-gates"):  # the Hacker's guide's Unit and gate objects
            if graph.arrays:
                raise InputError("--emit %s writes scalar programs: a Unit holds one number, and this program "
                                 "has arrays" % opts.emit,
                                 hint="--emit python writes an array program's forward and backward pass with numpy")
            from .gateemit import emit_gates
            code = emit_gates(graph, opts.emit)
        else:
            code = emit(graph, opts.emit)
        return lambda out: out.write(code)


class Verify(Handler):
    """The program's hand-written backward pass, checked line by line; for
    code with Unit and gate objects, every gate's backward method (gatecheck.py)."""
    what = "--verify"
    arrays = True

    def compute(self, source: Source, bindings: dict[str, float], opts: Options) -> "VerifyReport | GateReport":
        from .gates import language
        if language(source) is not None:
            from .gatecheck import check_gates
            return check_gates(source, bindings)
        from .verify import verify
        return verify(source, bindings, precision=opts.precision)

    def blocks(self, report: "VerifyReport | GateReport", opts: Options) -> Blocks:
        from .gatecheck import GateReport, gate_view
        if isinstance(report, GateReport):
            return [[gate_view(report, opts.precision)]]
        from .verify import verify_view
        return [[verify_view(report, opts.precision)]]

    def text(self, report: "VerifyReport | GateReport", opts: Options) -> Writer | None:
        if opts.format != "json":
            return None
        from .gatecheck import GateReport, to_json as gate_json
        from .render import json_line
        from .verify import to_json
        data = gate_json(report) if isinstance(report, GateReport) else to_json(report)
        return lambda out: out.write(json_line(data) + "\n")

    def code(self, report: "VerifyReport | GateReport") -> int:
        return 0 if report.ok else 1


class Check(Handler):
    """Each gradient against central differences."""
    what = "--check"
    arrays = True

    def compute(self, source: Source, bindings: dict[str, float], opts: Options) -> "list[CheckReport]":
        from .check import check
        return check(evaluate(source, bindings, opts), opts.h)

    def blocks(self, reports: "list[CheckReport]", opts: Options) -> Blocks:
        from .check import check_table
        return [[check_table(r, opts.precision, FLAGS)] for r in reports]

    def text(self, reports: "list[CheckReport]", opts: Options) -> Writer | None:
        if opts.format != "json":
            return None
        from .check import to_json
        from .render import json_line
        return lambda out: out.write("".join(json_line(to_json(r, FLAGS)) + "\n" for r in reports))

    def code(self, reports: "list[CheckReport]") -> int:
        return 0 if all(r.ok for r in reports) else 1


class Dot(Evaluated):
    """Graphviz text, one digraph per output."""
    what = "--dot"

    def text(self, results: "list[Result]", opts: Options) -> Writer:
        from .draw import dot
        text = dot(results, opts.precision)
        return lambda out: out.write(text)


class Tree(Evaluated):
    """The graph of each output as a tree rooted at it."""
    what = "--tree"

    def blocks(self, results: "list[Result]", opts: Options) -> Blocks:
        from .draw import tree
        return [[tree(r, opts.precision) for r in results]]  # one block: no blank lines between


class Draw(Evaluated):
    """The circuit laid out by Graphviz, saved as SVG or PNG (by the file's extension)."""

    what = "--draw"

    def text(self, results: "list[Result]", opts: Options) -> Writer:
        from .draw import DRAW_FORMATS, DRAW_MOST, DRAW_SPLIT, dot, gates, render
        path = opts.draw or ""
        check_target("--draw", path, opts.files, "circuit.svg")
        fmt = os.path.splitext(path)[1].lower().lstrip(".")
        if fmt not in DRAW_FORMATS:
            raise InputError("--draw %s: the picture's kind is read from the file's extension, .svg or .png" % path,
                             hint="as in --draw circuit.svg or --draw circuit.png")
        (r,) = one_output(results, "--draw")
        n = gates(r)
        if n > DRAW_MOST and not opts.show_all:
            raise InputError("the circuit of %s has %d gates, too many to read in one picture (more than %d)"
                             % (r.label, n, DRAW_MOST),
                             hint="--tree shows it in the terminal, --output NAME draws a part; --all draws it anyway")
        picture = render(dot([r], opts.precision, split=DRAW_SPLIT), fmt)
        try:
            with open(path, "wb") as f:
                f.write(picture)
        except OSError as e:
            raise cannot_write(path, e) from None
        return lambda out: out.write("drew the circuit of %s (%d gate%s) in %s\n"
                                     % (r.label, n, "" if n == 1 else "s", path))


class Html(Evaluated):
    """One self-contained page: the circuit, each gate's numbers and lines,
    and a step control through the backward pass (page.py)."""

    what = "--html"

    def text(self, results: "list[Result]", opts: Options) -> Writer:
        (r,) = one_output(results, "--html")
        said = save_page(r, opts)
        return lambda out: out.write(said + "\n")


def one_output(results: "list[Result]", option: str) -> "list[Result]":
    if len(results) > 1:
        raise InputError("%s shows one output, and the program has %d: %s"
                         % (option, len(results), ", ".join(r.label for r in results)),
                         hint="choose one with --output NAME")
    return results


def save_page(result: "Result", opts: Options, trace: dict | None = None) -> str:
    """--html's page for `result` (and a --step run's trace) in opts.html;
    returns the line that says where."""
    from .draw import DRAW_MOST, gates
    from .page import html_page
    path = opts.html or ""
    check_target("--html", path, opts.files, "circuit.html")
    n = gates(result)
    if n > DRAW_MOST and not opts.show_all:
        raise InputError("the circuit of %s has %d gates, too many to read in one picture (more than %d)"
                         % (result.label, n, DRAW_MOST),
                         hint="--tree shows it in the terminal, --output NAME shows a part; --all draws it anyway")
    text = html_page(result, opts.precision, trace)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise cannot_write(path, e) from None
    return "wrote the page of %s in %s" % (result.label, path)


class Steps(Handler):
    """Gradient ascent, printed as it runs: stepcli.py."""

    what = "--step"
    arrays = True

    def run(self, source: Source | None, bindings: dict[str, float], opts: Options) -> int:
        from .stepcli import run_steps
        assert source is not None
        self.refuse_arrays(source, bindings, opts)
        if opts.html is not None:  # refused before the run, not after it
            check_target("--html", opts.html, opts.files, "circuit.html")
        return run_steps(source, source.name, bindings, as_json=opts.format == "json", precision=opts.precision,
                         no_nodes=opts.no_nodes, no_color=opts.no_color, step=opts.step, steps=opts.steps,
                         descend=opts.descend, freeze=opts.freeze, every=opts.every, tol=opts.tol,
                         output=opts.output, plot=opts.plot, log=opts.log,
                         page=(lambda r, trace: save_page(r, opts, trace)) if opts.html is not None else None)


class Session(Handler):
    """The interactive session: repl.py. The program, if any, runs first."""

    what = "the session"

    def run(self, source: Source | None, bindings: dict[str, float], opts: Options) -> int:
        from .repl import session
        if source is not None:
            self.refuse_arrays(source, bindings, opts)
        return session(source, bindings, no_color=opts.no_color, precision=opts.precision)


HANDLERS: dict[str, Handler] = {
    "table": Table(), "explain": Explain(), "emit": Emit(), "verify": Verify(), "check": Check(),
    "dot": Dot(), "tree": Tree(), "draw": Draw(), "html": Html(), "steps": Steps(), "session": Session(),
}
