"""The command line of the step loop: --step, --steps, --descend, --freeze,
--every, --tol, --output, --plot, --log.

The renderers here return strings or rich objects; `run_steps` decides where
they go (step lines and summary to stdout, progress bar and errors to stderr)
and returns the exit code: 0, 1 for a math error at some step, 130 for Ctrl-C.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

from .console import FLAGS, console
from .errors import GradcliError, InputError, Source, say

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from .steps import Ascent, Step
    from .tensorsteps import ArrayAscent

PLOT_WIDTH = 64
PLOT_HEIGHT = 12
PROGRESS_FROM = 20_000  # runs shorter than this finish before a bar is worth drawing


def _g(x: float, precision: int) -> str:
    if x == 0:
        return "0"
    return "%.*g" % (precision, x)


def _signed(x: float | None, precision: int) -> str:
    if x is None:
        return ""
    if x == 0:
        return "0"
    return "%+.*g" % (precision, x)


def step_text(step: float) -> str:
    """The step size as given: 0.01, 1000, 1e-06."""
    text = repr(step)
    return text[:-2] if text.endswith(".0") else text


def header(width: int) -> str:
    return "%*s  %14s  %14s  %14s" % (width, "step", "value", "change", "predicted")


def step_line(s: "Step", width: int, precision: int) -> str:
    """One update: step number, output value, its change, and the change the
    gradient predicted (±step·|grad|²); a gap between the last two means the
    step size is large for this curvature."""
    line = "%*d  %14s  %14s  %14s" % (width, s.k, _g(s.value, precision),
                                      _signed(s.change, precision), _signed(s.predicted, precision))
    return line.rstrip()


def step_json(s: "Step") -> dict:
    from .render import _j
    return {"step": s.k, "value": _j(s.value),
            "inputs": {n: _j(v) for n, v in s.inputs.items()},
            "gradients": {n: _j(v) for n, v in s.gradients.items()}}


def summary(asc: "Ascent", precision: int, status: str) -> "Group":
    """Start and final output, each input's start and final value, final gradients."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    start, last = asc.start, asc.last
    assert start is not None and last is not None
    mode = "descent" if asc.descend else "ascent"
    updates = "%d update%s" % (last.k, "" if last.k == 1 else "s")
    title = Text.assemble(("gradient %s" % mode, "bold"), " of ", (asc.label, "bold green"),
                          ", step size %s: %s" % (step_text(asc.step_size), updates))
    t = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    t.add_column("")
    t.add_column("start", justify="right")
    t.add_column("final", justify="right")
    t.add_column("change", justify="right")
    t.add_column("d %s / d input" % _short(asc.label), justify="right")
    t.add_row(Text(_short(asc.label), style="bold green"), _g(start.value, precision),
              Text(_g(last.value, precision), style="bold"),
              _signed(last.value - start.value, precision), "")
    for name in asc.names:
        label = Text(name, style="bold cyan")
        if name in asc.frozen:
            label.append(" (frozen)", style="dim")
        t.add_row(label, _g(start.inputs[name], precision), _g(last.inputs[name], precision),
                  _signed(last.inputs[name] - start.inputs[name], precision),
                  _g(last.gradients[name], precision))
    parts: list[RenderableType] = [title, t]
    if status:
        parts.append(Text(status, style="yellow"))
    return Group(*parts)


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 3] + "..."


def chart(points: list[tuple[int, float]], width: int = PLOT_WIDTH, height: int = PLOT_HEIGHT,
          mark: str = "*", log: bool = False) -> list[str]:
    """The output over the steps as lines of text: one column per span of
    steps (its last value), value axis on the left, step axis below; with
    `log` (every value above 0), the height is log10 of the value."""
    if not points:
        return []
    if log:
        import math
        points = [(k, math.log10(v)) for k, v in points]
    k0, k1 = points[0][0], points[-1][0]
    span = max(1, k1 - k0)
    cols = min(width, span + 1)
    # Each column shows the range the curve covers over its steps (from the end of
    # the column before, so that steep parts stay connected); between two
    # known points the curve is a straight line.
    low: list[float | None] = [None] * cols
    high: list[float | None] = [None] * cols

    def column(k: int) -> int:
        return (k - k0) * (cols - 1) // span if cols > 1 else 0

    def first_step(c: int) -> int:
        return k0 + -(-c * span // (cols - 1)) if cols > 1 else k0

    def cover(c: int, v: float) -> None:
        lo, hi = low[c], high[c]
        low[c] = v if lo is None else min(lo, v)
        high[c] = v if hi is None else max(hi, v)

    cover(column(points[0][0]), points[0][1])
    for (ka, va), (kb, vb) in zip(points, points[1:]):
        for c in range(column(ka), column(kb) + 1):
            for k in (max(ka, first_step(c) - 1), min(kb, first_step(c + 1) - 1 if c + 1 < cols else kb)):
                cover(c, va + (vb - va) * (k - ka) / (kb - ka) if kb > ka else vb)
    values = [v for v in low + high if v is not None]
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 0.5 * abs(lo or 1), hi + 0.5 * abs(hi or 1)
    grid = [[" "] * cols for _ in range(height)]

    def row(v: float) -> int:
        return round((hi - v) / (hi - lo) * (height - 1))

    for c in range(cols):
        bottom_, top_ = low[c], high[c]
        if bottom_ is not None and top_ is not None:
            for r in range(row(top_), row(bottom_) + 1):
                grid[r][c] = mark
    top, bottom = ("%.6g" % 10.0 ** hi, "%.6g" % 10.0 ** lo) if log else ("%.6g" % hi, "%.6g" % lo)
    pad = max(len(top), len(bottom))
    lines = []
    for r, cells in enumerate(grid):
        axis = top if r == 0 else bottom if r == height - 1 else ""
        lines.append("%*s |%s" % (pad, axis, "".join(cells).rstrip()))
    lines.append("%*s +%s" % (pad, "", "-" * cols))
    left, right = "step %d" % k0, "%d" % k1
    lines.append("%*s  %s%*s" % (pad, "", left, max(len(right) + 1, cols - len(left)), right))
    return lines


def chart_size() -> tuple[int, int]:
    """The chart's width and height: the terminal's width (rich's console
    size: the terminal, or COLUMNS and LINES when piped, else 80 by 25), and
    half its height, so the summary below stays in view (8 to 24 lines)."""
    from rich.console import Console
    width, height = Console().size
    return max(20, width), max(8, min(24, height // 2))


def _ticks(k0: int, k1: int, room: int) -> list[int]:
    """Whole steps from k0 to k1 for the step axis, about one per 12 columns."""
    n = max(1, min(k1 - k0, room // 12))
    return sorted({k0 + round((k1 - k0) * i / n) for i in range(n + 1)})


def _powers(lo: float, hi: float, most: int) -> list[int]:
    """The whole powers of 10 within [lo, hi] (log10 values) for a log axis,
    at most `most` of them, evenly spaced (every 2nd, 3rd, ... when there
    are more); the one nearest when none falls within."""
    import math
    e0, e1 = math.ceil(lo), math.floor(hi)
    if e1 < e0:
        return [round((lo + hi) / 2)]
    every = max(1, -(-(e1 - e0) // (most - 1)))
    return list(range(e1, e0 - 1, -every))[::-1]


def plot_chart(points: list[tuple[int, float]], label: str, width: int, height: int,
         log: bool = False) -> tuple[list[str], str]:
    """The output over the steps, drawn by plotext in `width` columns and
    `height` lines, step axis below (whole steps), the output's axis on the
    left, on a log scale with `log`; and a note when the log scale could
    not be used (a value at or below 0)."""
    import math

    import plotext

    note = ""
    if log and any(v <= 0 for _, v in points):
        low = min(v for _, v in points)
        note = "linear scale: a log scale needs every value above 0, and the output reaches %s" % _g(low, 4)
        log = False
    plotext.terminal.limit(False, False)  # the size given, not plotext's reading of the terminal
    figure = plotext.figure
    figure.clear()
    figure.theme("colorless")
    ks, vs = [k for k, _ in points], [v for _, v in points]
    if log:  # log10 of the values on a linear axis, labelled with the powers of 10
        vs = [math.log10(v) for v in vs]
    figure.draw(figure.signal(ks, vs).lines())
    figure.plot_size(width, height)
    words = " over the steps" + (" (log scale)" if log else "")
    title = label + words
    above: list[str] = []  # the title, whole, on lines of its own when it is wider than the chart
    if len(title) <= width:
        figure.title(title)
    else:
        import textwrap
        above = textwrap.wrap(title, width, break_on_hyphens=False)
    figure.label("step", axis=0)
    figure.label(_value_label(label, width), axis=1)
    if log:
        powers = _powers(min(vs), max(vs), max(2, height // 3))
        figure.ruler(axis=1).ticks(powers, ["%g" % 10.0 ** e for e in powers])
    if len(points) > 1:
        ticks = _ticks(ks[0], ks[-1], width)
        figure.ruler(axis=0).ticks(ticks, [str(k) for k in ticks])
    text = figure.build().string(colorless=True)
    figure.clear()
    return above + [line.rstrip() for line in text.splitlines()], note


def _value_label(label: str, width: int) -> str:
    """The value axis's label, below its left end: the output itself when it
    fits there (12 columns, and clear of "step" centred below the chart),
    else "value", which the title above says is the output's; never a cut
    expression such as `sig(a*x+b...`."""
    room = min(12, (width - len("step")) // 2 - 1)
    if len(label) <= room:
        return label
    return "value" if room >= len("value") else ""


def freeze_names(text: str | None) -> list[str]:
    if not text:
        return []
    names = [n.strip() for n in text.split(",")]
    if any(not n for n in names):
        raise InputError("--freeze takes input names separated by commas, got %r" % text,
                         hint="as in --freeze x,y")
    return names


def negative_step(size: float, descend: bool, spell: "Callable[[str, bool], str]") -> str | None:
    """The message that refuses a negative step size in a descent, or None.
    Descent with a negative step climbs, the opposite of what was asked, so it
    is refused; a negative step without --descend is left alone (it is how
    one writes a step downhill by hand, and it says so: it is negative).
    `spell(size, descend)` writes a run the way the user types it."""
    if not (descend and size < 0):
        return None
    given, fixed = step_text(size), step_text(-size)
    return ("the step size must not be negative: %s would climb; drop the minus to go downhill (%s), "
            "or drop the descend to climb (%s)" % (spell(given, True), spell(fixed, True), spell(fixed, False)))


def _spell(size: str, descend: bool) -> str:
    return "--step %s%s" % (size, " --descend" if descend else "")



def _status(asc, code: int, error: GradcliError | None, tol) -> str:
    """The summary's first line: why the run ended where it did, or "" when it ran
    its steps; an error is written to standard error here, after the steps."""
    if asc.stopped == "tol":
        return "stopped at step %d: the output changed by less than %s (--tol)" % (asc.last.k, _g(tol, 6))
    if code == 130:
        return "interrupted: the state reached after %d updates" % asc.last.k
    if error is not None:
        sys.stdout.flush()
        sys.stderr.write(error.render(FLAGS) + "\n")
        return "the last good state, after %d updates" % asc.last.k
    if not asc.moving:
        return "nothing moved: every input is frozen or the output does not depend on it"
    return ""

def run_steps(text: "str | Source", name: str, bindings: dict, *, as_json: bool, precision: int,
              no_nodes: bool, no_color: bool, step, steps, descend, freeze, every, tol,
              output, plot, log=False, page=None) -> int:
    """The step loop and its output. Which options go together is checked
    before (cli.MODES); errors of the program itself are raised."""
    from .api import compile as compile_program
    from .steps import Ascent
    plot = plot or log  # --log is the chart on a log scale
    refused = negative_step(step, descend, _spell)
    if refused is not None:
        raise InputError(refused)
    g = compile_program(text, bindings, name)
    n = 1 if steps is None else steps
    if g.arrays:
        if page is not None:
            raise InputError("--html does not work on arrays yet",
                             hint="--plot draws an array program's loss over the steps in the terminal")
        return _array_steps(g, as_json=as_json, precision=precision, no_nodes=no_nodes, no_color=no_color,
                            step=step, steps=n, descend=descend, freeze=freeze, every=every, tol=tol,
                            output=output, plot=plot, log=log)
    asc = Ascent(g, step, n, output=output, descend=descend, freeze=freeze_names(freeze),
                 every=every or 1, tol=tol, samples=4 * chart_size()[0] if plot else 0)

    width = max(4, len(str(n)))
    progress = None
    if (every or 1) > 1 and n >= PROGRESS_FROM and sys.stderr.isatty():
        progress = _progress_bar(asc, n)
    out = sys.stdout  # while the bar runs, rich's stand-in that prints above the bar
    error: GradcliError | None = None
    code = 0
    if not as_json:
        out.write(header(width) + "\n")
    trace: dict = {"steps": [], "output": [], "inputs": {name: [] for name in asc.names}}
    try:
        for s in asc:
            out.write((_json_line(step_json(s)) if as_json else step_line(s, width, precision)) + "\n")
            if page is not None:
                trace["steps"].append(s.k)
                trace["output"].append(s.value)
                for name in asc.names:
                    trace["inputs"][name].append(s.inputs[name])
    except GradcliError as e:
        error, code = e, e.exit_code
    except KeyboardInterrupt:
        code = 130
    finally:
        if progress is not None:
            progress.stop()
    out = sys.stdout
    if asc.last is None:  # stopped before the starting point could be evaluated
        sys.stderr.write((error.render(FLAGS) if error else "gradcli: interrupted") + "\n")
        return code or 1
    status = _status(asc, code, error, tol)

    page_error: GradcliError | None = None
    page_said = ""  # where the page went, said below the summary
    if page is not None:  # the page of the final state, with the run's curve and paths
        try:
            page_said = page(asc.result(), trace)
        except GradcliError as e:  # the run's summary still comes; the error after it
            page_error = e
    if as_json:
        from .render import to_json
        out.write(_json_line(to_json(asc.result(), nodes=not no_nodes, words=FLAGS)) + "\n")
        if status and code != 1:
            sys.stderr.write("gradcli: %s\n" % status)
        return _page_failed(page_error, code)
    out_console = console(no_color)
    if plot:
        out_console.print()
        _print_chart(out_console, asc, log)
    out_console.print()
    out_console.print(summary(asc, precision, status))
    for note in asc.result().notes:
        out_console.print("note: " + say(note, FLAGS), style="yellow")
    if page_said:
        out_console.print(page_said, highlight=False, markup=False, soft_wrap=True)
    return _page_failed(page_error, code)


def _page_failed(error: GradcliError | None, code: int) -> int:
    """The exit code, after --html's error (if its page could not be
    written) on standard error, below the run it did not lose."""
    if error is None:
        return code
    sys.stdout.flush()
    sys.stderr.write(error.render(FLAGS) + "\n")
    return code or error.exit_code


def _json_line(obj: dict) -> str:
    from .render import json_line
    return json_line(obj)


def _print_chart(console, asc: "Ascent | ArrayAscent", log: bool = False) -> None:
    """plotext's chart, fitted to the terminal; where the output's encoding
    has no box-drawing characters, the chart of plain ASCII above."""
    from rich.text import Text
    width, height = chart_size()
    style = "cyan" if console.is_terminal else ""
    if not console.encoding.lower().startswith("utf"):
        note = ""
        if log and any(v <= 0 for _, v in asc.trace):
            note = ("linear scale: a log scale needs every value above 0, and the output reaches %s"
                    % _g(min(v for _, v in asc.trace), 4))
            log = False
        lines = chart(asc.trace, width=max(8, width - 12), height=height, log=log)
        over = max(map(len, lines)) - width  # the value axis's labels took more than 12 columns
        if over > 0:
            lines = chart(asc.trace, width=max(8, width - 12 - over), height=height, log=log)
        console.print(Text("%s over the steps%s" % (asc.label, " (log scale)" if log else ""), style="bold"))
        for line in lines:
            console.print(Text(line, style=style), soft_wrap=True)
        if note:
            console.print(Text(note, style="yellow"))
        return
    lines, note = plot_chart(asc.trace, asc.label, width, height, log)
    for line in lines:
        console.print(Text(line, style=style), soft_wrap=True)
    if note:
        console.print(Text(note, style="yellow"))


class _progress_bar:
    """A rich progress bar on stderr, fed by the loop after every chunk."""

    def __init__(self, asc: "Ascent", total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
        self.bar = Progress("steps", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("steps", total=total)
        self.bar.start()
        asc.progress = lambda k: self.bar.update(self.task, completed=k)

    def stop(self) -> None:
        self.bar.stop()


def _array_steps(g, *, as_json: bool, precision: int, no_nodes: bool, no_color: bool, step, steps: int,
                 descend: bool, freeze, every, tol, output, plot, log=False) -> int:
    """The step loop of an array program: a line per reported step, with the
    program's other outputs beside the loss, then the inputs' start and end."""
    import numpy as np

    from .render import _array_text, _shape, to_json
    from .tensorsteps import ArrayAscent
    asc = ArrayAscent(g, step, steps, output=output, descend=descend, freeze=freeze_names(freeze),
                      every=every or 1, tol=tol)
    width = max(4, len(str(steps)))
    out = sys.stdout
    error: GradcliError | None = None
    code = 0
    if not as_json:
        out.write(header(width) + "\n")
    try:
        for s in asc:
            others = getattr(s, "outputs", {})
            if as_json:
                line: dict = {"step": s.k, "value": s.value, "change": s.change, "predicted": s.predicted}
                if others:
                    line["outputs"] = others
                out.write(_json_line(line) + "\n")
            else:
                extra = "".join("  %s = %s" % (label, _g(v, precision)) for label, v in others.items())
                text = "%*d  %14s  %14s  %14s" % (width, s.k, _g(s.value, precision), _signed(s.change, precision),
                                                  _signed(s.predicted, precision))
                out.write((text + extra).rstrip() + "\n")
    except GradcliError as e:
        error, code = e, e.exit_code
    except KeyboardInterrupt:
        code = 130
    if asc.last is None:
        sys.stderr.write((error.render(FLAGS) if error else "gradcli: interrupted") + "\n")
        return code or 1
    status = _status(asc, code, error, tol)
    if as_json:
        out.write(_json_line(to_json(asc.result(), nodes=not no_nodes, words=FLAGS)) + "\n")
        return code
    from rich.table import Table
    from rich.text import Text
    start, last = asc.start, asc.last
    assert start is not None
    mode = "descent" if descend else "ascent"
    con = console(no_color)
    if plot:
        con.print()
        _print_chart(con, asc, log)
    con.print()
    con.print(Text.assemble(("gradient %s" % mode, "bold"), " of ", (asc.label, "bold green"),
                            ", step size %s: %d update%s" % (step_text(step), last.k, "" if last.k == 1 else "s")))
    t = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col in ("", "shape", "start", "final", "d %s / d input" % _short(asc.label)):
        t.add_column(col, justify="left" if not col else "right", overflow="fold")
    t.add_row(Text(_short(asc.label), style="bold green"), "()", _g(start.value, precision),
              Text(_g(last.value, precision), style="bold"), "")
    for name in asc.names:
        label = Text(name, style="bold cyan")
        if name in asc.frozen:
            label.append(" (frozen)", style="dim")
        t.add_row(label, _shape(last.inputs[name]), _array_text(start.inputs[name], precision, False),
                  _array_text(last.inputs[name], precision, False),
                  "" if name in asc.frozen else _array_text(np.asarray(last.gradients[name]), precision, False))
    con.print(t)
    if status:
        con.print(status, style="yellow")
    return code
