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
from typing import TYPE_CHECKING, Iterable, Sequence

from .errors import Words, say

if TYPE_CHECKING:
    from rich.console import RenderableType

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


def markdown(results: Sequence["Result"], precision: int = 4, words: Words | None = None) -> str:
    """Each output as a Markdown line and table, numbers as the table shows them;
    `words` name the parameters its notes mention (see errors.Phrase)."""
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
            out += ["", "> note: " + say(note, words)]
    return "\n".join(out) + "\n"


def save_svg(results: Sequence["Result"], path: str, precision: int = 4,
             max_rows: int | None = 60, title: str = "gradcli", words: Words | None = None) -> None:
    """The rich table of every output, saved as an SVG picture."""
    from .render import table
    save_picture([[table(r, precision, max_rows, words)] for r in results], path, title)


def save_picture(blocks: Sequence[Iterable["RenderableType"]], path: str, title: str = "gradcli") -> None:
    """Any rich renderables saved as an SVG picture, a blank line between blocks."""
    from rich.console import Console
    blocks = [list(block) for block in blocks]
    console = Console(record=True, file=io.StringIO(), width=160, color_system="truecolor",
                      force_terminal=True, highlight=False)
    # As wide as the widest part, so the picture has no empty margin.
    console.width = max(40, min(160, max((console.measure(r).maximum for block in blocks for r in block),
                                         default=40)))
    for k, block in enumerate(blocks):
        if k:
            console.print()
        for r in block:
            console.print(r)
    console.save_svg(path, title=title)
