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
    from rich.segment import Segment
    from rich.style import Style

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


# The picture's look: a generic monospace family (no web font, nothing
# fetched), light paper, and colours dark enough to read in print. Every
# character is placed at its own column (one x per character), so the
# alignment holds whatever monospace font the viewer picks, in librsvg,
# Chromium or Firefox alike.
FONT_SIZE = 14
CELL_WIDTH = 8.4     # a column, in px: 0.6 em
LINE_HEIGHT = 18.2   # a line, in px: 1.3 em
MARGIN = 12
PAPER, INK = "#ffffff", "#1f2328"
# The terminal's colours as they read on paper, by rich's colour number (0-15).
PALETTE = ("#1f2328", "#b42318", "#1a7f37", "#9a6700", "#0550ae", "#8250df", "#1b7c83", "#57606a",
           "#57606a", "#b42318", "#1a7f37", "#9a6700", "#0550ae", "#8250df", "#1b7c83", "#1f2328")


def _colour(style: "Style | None") -> str | None:
    from rich.color import ColorType
    color = style.color if style is not None else None
    if color is None or color.type == ColorType.DEFAULT:
        return None
    if color.type in (ColorType.STANDARD, ColorType.WINDOWS) and color.number is not None and color.number < 16:
        return PALETTE[color.number]
    r, g, b = color.get_truecolor()
    return "#%02x%02x%02x" % (r, g, b)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg_lines(lines: "Sequence[Sequence[Segment]]", title: str = "gradcli") -> str:
    """Lines of rich Segments as an SVG picture: each run of characters of
    one style a <text>, each character at its own column."""
    from rich.cells import cell_len
    width = max((sum(cell_len(seg.text) for seg in line) for line in lines), default=0)
    w = round(2 * MARGIN + width * CELL_WIDTH)
    h = round(2 * MARGIN + max(1, len(lines)) * LINE_HEIGHT)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">' % (w, h, w, h),
           "<title>%s</title>" % _escape(title),
           '<rect width="100%%" height="100%%" fill="%s"/>' % PAPER,
           '<g font-family="monospace" font-size="%d" fill="%s" xml:space="preserve">' % (FONT_SIZE, INK)]
    for row, line in enumerate(lines):
        y = MARGIN + row * LINE_HEIGHT + 0.8 * LINE_HEIGHT
        col = 0
        for seg in line:
            text, style = seg.text, seg.style
            xs = []
            for ch in text:
                xs.append("%g" % round(MARGIN + col * CELL_WIDTH, 2))
                col += cell_len(ch)
            shown = text.rstrip(" ")
            if not shown.strip():
                continue
            lead = len(shown) - len(shown.lstrip(" "))
            attrs = ['x="%s"' % " ".join(xs[lead:len(shown)]), 'y="%g"' % round(y, 2)]
            colour = _colour(style)
            if colour is not None:
                attrs.append('fill="%s"' % colour)
            if style is not None and style.bold:
                attrs.append('font-weight="bold"')
            if style is not None and style.italic:
                attrs.append('font-style="italic"')
            if style is not None and style.dim:
                attrs.append('opacity="0.7"')
            out.append("<text %s>%s</text>" % (" ".join(attrs), _escape(shown[lead:])))
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def save_picture(blocks: Sequence[Iterable["RenderableType"]], path: str, title: str = "gradcli") -> None:
    """Any rich renderables saved as an SVG picture, a blank line between blocks."""
    from rich.console import Console
    from rich.segment import Segment
    blocks = [list(block) for block in blocks]
    console = Console(file=io.StringIO(), width=160, color_system="truecolor", force_terminal=True,
                      highlight=False)
    # As wide as the widest part, so the picture has no empty margin.
    console.width = max(40, min(160, max((console.measure(r).maximum for block in blocks for r in block),
                                         default=40)))
    lines: list[list[Segment]] = []
    for k, block in enumerate(blocks):
        if k:
            lines.append([])
        for r in block:
            lines.extend(console.render_lines(r, console.options, pad=False))
    with open(path, "w", encoding="utf-8") as f:
        f.write(svg_lines(lines, title))
