"""Results -> text in the formats people paste elsewhere: CSV, TSV, Markdown;
and the rich table saved as an SVG picture. Built on the public Node records.

>>> from gradcli import grad
>>> r = grad("x*y", x=2, y=3)
>>> print(delimited([r], ","), end="")
output,node,op,value,grad
x*y,x,input,2.0,3.0
x*y,y,input,3.0,2.0
x*y,x*y,mul,6.0,1.0
>>> print(markdown([r]), end="")
output `x*y` = 6
<BLANKLINE>
| node | op | value | grad |
| --- | --- | ---: | ---: |
| `x` | input | 2 | 3 |
| `y` | input | 3 | 2 |
| `x*y` | * | 6 | 1 |
"""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .engine import Result

FORMATS = ("table", "json", "csv", "tsv", "markdown")


def _full(x: float | None) -> str:
    """Full precision, as Python and spreadsheets read it back; empty for no value."""
    return "" if x is None else repr(x)


def delimited(results: Sequence["Result"], sep: str = ",") -> str:
    """One row per node of each output, full precision: `output,node,op,value,grad`.
    `grad` is empty for constants, through which no gradient flows."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(["output", "node", "op", "value", "grad"])
    for r in results:
        for n in r.nodes:
            w.writerow([r.label, n.label, n.op, _full(n.value), _full(n.grad)])
    return buf.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(results: Sequence["Result"], precision: int = 4) -> str:
    """Each output as a Markdown line and table, numbers as the table shows them."""
    from .ops import OPS
    from .render import number
    out: list[str] = []
    for k, r in enumerate(results):
        if k:
            out.append("")
        out += ["output `%s` = %s" % (r.label, number(r.value, precision)), "",
                "| node | op | value | grad |", "| --- | --- | ---: | ---: |"]
        for n in r.nodes:
            op = OPS[n.op].symbol or n.op if n.op in OPS else n.op
            out.append("| `%s` | %s | %s | %s |" % (_cell(n.label), _cell(op),
                                                    number(n.value, precision), number(n.grad, precision)))
        for note in r.notes:
            out += ["", "> note: " + note]
    return "\n".join(out) + "\n"


def save_svg(results: Sequence["Result"], path: str, precision: int = 4,
             max_rows: int | None = 60, title: str = "gradcli") -> None:
    """The rich table of every output, saved as an SVG picture."""
    from rich.console import Console
    from .render import table
    tables = [table(r, precision, max_rows) for r in results]
    console = Console(record=True, file=io.StringIO(), width=160, color_system="truecolor",
                      force_terminal=True, highlight=False)
    # As wide as the widest table, so the picture has no empty margin.
    console.width = max(40, min(160, max(console.measure(t).maximum for t in tables)))
    for k, t in enumerate(tables):
        if k:
            console.print()
        console.print(t)
    console.save_svg(path, title=title)
