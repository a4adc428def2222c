"""Results -> things to show: rich renderables and JSON. No math here, and no
printing: the command line decides where the output goes."""
from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from itertools import islice
from typing import TYPE_CHECKING

from .errors import Words, fill, say
from .flat import without_gc
from .graph import CONST, INPUT
from .wires import Uses

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from .engine import Result

DEFAULT_PRECISION = 4
DEFAULT_MAX_ROWS = 60
_INF = float("inf")


def number(x: float | None, precision: int = DEFAULT_PRECISION) -> str:
    """A value rounded for reading: `precision` significant digits."""
    if x is None:
        return "-"
    if x == 0:
        return "0"  # no -0 for people
    return "%.*g" % (precision, x)


def op_name(result: "Result", i: int) -> str:
    g = result.graph
    if g.kind[i] == INPUT:
        return "input"
    if g.kind[i] == CONST:
        return "const"
    op = g.op[i]
    assert op is not None
    return op.symbol or op.name


def rows(result: "Result") -> list[int]:
    """The nodes this output depends on, in forward order."""
    used = result.graph.reachable([result.output])
    return [i for i, u in enumerate(used) if u]


def _used(result: "Result") -> list[bool]:
    """Which nodes the output depends on. With one output that is the
    graph's `live`, already known: no second walk of a million nodes."""
    g = result.graph
    if len(g.outputs) == 1 and g.outputs[0][1] == result.output and len(g.live) == len(g):
        return g.live
    return g.reachable([result.output])


def table(result: "Result", precision: int = DEFAULT_PRECISION,
          max_rows: int | None = DEFAULT_MAX_ROWS, words: Words | None = None) -> "Group":
    """The forward/backward table of one output, then its inputs at a glance.
    `words` name the parameters its notes mention (see errors.Phrase)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    g = result.graph
    values, grads = result.values, result.grads
    used = _used(result)
    total = sum(used)
    hidden = 0
    if max_rows is not None and total > max_rows:
        # Keep the start and the end of the forward pass (the output is the
        # last node); say what is left out. No list of a million rows.
        keep = max_rows // 2
        hidden = total - 2 * keep
        head = list(islice((i for i, u in enumerate(used) if u), keep))
        tail = list(islice((i for i in range(len(used) - 1, -1, -1) if used[i]), keep))
        nodes = head + [-1] + tail[::-1]
    else:
        nodes = [i for i, u in enumerate(used) if u]

    t = Table(title=None, box=None, header_style="bold", pad_edge=False, show_edge=False)
    t.add_column("node", overflow="fold")
    t.add_column("op")
    t.add_column("value", justify="right")
    t.add_column("grad", justify="right")
    for i in nodes:
        if i < 0:
            more = fill("... %d more nodes ({all} shows every node)", words) % hidden
            t.add_row(Text(more, style="dim"), "", "", "")
            continue
        style = "bold cyan" if g.kind[i] == INPUT else ("dim" if g.kind[i] == CONST else "")
        if i == result.output:
            style = "bold green"
        t.add_row(Text(g.label(i), style=style), op_name(result, i),
                  number(values[i], precision), number(grads[i], precision))

    summary = Table(box=None, show_header=True, header_style="bold", pad_edge=False, show_edge=False)
    summary.add_column("input")
    summary.add_column("value", justify="right")
    summary.add_column("d %s / d input" % _short(result.label), justify="right")
    inputs = list(g.inputs.items())
    if max_rows is not None and len(inputs) > max_rows:
        # A generated program may have a million inputs: the first and the last.
        keep = max_rows // 2
        inputs = inputs[:keep] + [("", -1)] + inputs[-keep:]
    for name, i in inputs:
        if i < 0:
            summary.add_row(Text(fill("... %d more inputs ({all} shows every input)", words)
                                 % (len(g.inputs) - 2 * keep), style="dim"), "", "")
            continue
        summary.add_row(Text(name, style="bold cyan"), number(values[i], precision),
                        number(grads[i] or 0.0, precision))

    parts: list[RenderableType] = [
        Text.assemble(("forward and backward pass of ", "bold"), (result.label, "bold green")),
        t,
        Text(""),
        Text.assemble(("output ", "bold"), (result.label, "bold green"), " = ",
                      (number(result.value, precision), "bold")),
    ]
    if g.inputs:
        parts.append(summary)
    for note in result.notes:
        parts.append(Text("note: " + say(note, words), style="yellow"))
    return Group(*parts)


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 3] + "..."


def _j(x: float | None):
    """Strict JSON has no NaN or Infinity: those become strings."""
    if x is None or math.isfinite(x):
        return x
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def _gradients(result: "Result"):
    """(input name, d output / d input) for every input."""
    grads, j = result.grads, _j
    for name, i in result.graph.inputs.items():
        d = grads[i] or 0.0
        yield name, (d if -_INF < d < _INF else j(d))  # only nan and inf need _j


def _nodes(result: "Result"):
    """One JSON record per node of the output, in forward order. `uses` has a
    record per wire leaving the node that brings it a share of the gradient:
    the gate it goes into, which argument of that gate it is, and the share,
    in the order the backward pass adds them (wires.py)."""
    g = result.graph
    values, grads, kind, ops, label = result.values, result.grads, g.kind, g.op, g.label
    ids, first = g.args.ids, g.args.first
    j = _j
    uses = Uses(result)
    wire, chain, into, arg, share = uses.first, uses.next, uses.node, uses.arg, uses.share
    for i, u in enumerate(_used(result)):
        if not u:
            continue
        k = kind[i]
        records = []
        w = wire[i]
        while w >= 0:
            s = share[w]
            records.append({"node": into[w], "arg": arg[w], "share": s if -_INF < s < _INF else j(s)})
            w = chain[w]
        yield {"id": i, "label": label(i), "op": "input" if k == INPUT else
               "const" if k == CONST else ops[i].name,  # type: ignore[union-attr]
               "value": j(values[i]), "grad": j(grads[i]), "args": ids[first[i]:first[i + 1]].tolist(),
               "uses": records}


def _number(x: object) -> str:
    return json_line(_j(x))  # type: ignore[arg-type]


_USE = '{"node": %d, "arg": %d, "share": %s}'


def _write_nodes(out, result: "Result") -> None:
    """Write json_line(list(_nodes(result)))[1:-1], the same text, without
    making the records: each is formatted as json.dumps writes it (repr for
    a finite float, the encoder's own string escaping; tests/test_scale.py
    holds the two to the same text), a batch of nodes at a time, and the
    uses of a node with more than a batch of them (x in x+x+...+x), a batch
    of uses at a time. Formatting the text is what keeps a big node list,
    uses and all, as fast to write as it was without them."""
    g = result.graph
    values, grads, kind, ops, label = result.values, result.grads, g.kind, g.op, g.label
    ids, first = g.args.ids, g.args.first
    uses = Uses(result)
    wire, count, chain, into, arg, share = uses.first, uses.count, uses.next, uses.node, uses.arg, uses.share
    text, number, size, FLOAT = encode_basestring, _number, _BATCH, float
    op_text = {"input": text("input"), "const": text("const")}
    sep = ""
    batch: list[str] = []
    for i, u in enumerate(_used(result)):
        if not u:
            continue
        k = kind[i]
        name = "input" if k == INPUT else "const" if k == CONST else ops[i].name  # type: ignore[union-attr]
        v, d = values[i], grads[i]
        grad = repr(d) if d.__class__ is FLOAT and -_INF < d < _INF else number(d)
        head = '{"id": %d, "label": %s, "op": %s, "value": %s, "grad": %s, "args": %r, "uses": [' % (
            i, text(label(i)), op_text.get(name) or op_text.setdefault(name, text(name)),
            repr(v) if v.__class__ is FLOAT and -_INF < v < _INF else number(v), grad,
            ids[first[i]:first[i + 1]].tolist())
        w, n = wire[i], count[i]
        if n == 1:  # the one wire's share is the gradient itself, to the bit (wires.py)
            batch.append(head + _USE % (into[w], arg[w], grad) + "]}")
        elif n <= size:
            parts = []
            while w >= 0:
                s = share[w]
                parts.append(_USE % (into[w], arg[w], repr(s) if -_INF < s < _INF else number(s)))
                w = chain[w]
            batch.append(head + ", ".join(parts) + "]}")
        else:  # more uses than a batch: the record in pieces, between the batches around it
            if batch:
                out.write(sep + ", ".join(batch))
                sep, batch = ", ", []
            out.write(sep + head)
            inner = ""
            while w >= 0:
                parts = []
                while w >= 0 and len(parts) < size:
                    s = share[w]
                    parts.append(_USE % (into[w], arg[w], repr(s) if -_INF < s < _INF else number(s)))
                    w = chain[w]
                out.write(inner + ", ".join(parts))
                inner = ", "
            out.write("]}")
            sep = ", "
        if len(batch) == size:
            out.write(sep + ", ".join(batch))
            sep, batch = ", ", []
    if batch:
        out.write(sep + ", ".join(batch))


JSON_LABEL_WIDTH = 10_000


def _output_label(result: "Result") -> str:
    """The table shortens long source text; JSON gives it in full, up to
    JSON_LABEL_WIDTH characters (a generated megabyte is cut in the middle)."""
    g = result.graph
    if g.name[result.output] or result.label != g.label(result.output):
        return result.label
    return g.label(result.output, JSON_LABEL_WIDTH)


@without_gc
def to_json(result: "Result", nodes: bool = True, words: Words | None = None) -> dict:
    d: dict = {
        "output": _output_label(result),
        "value": _j(result.value),
        "gradients": dict(_gradients(result)),
    }
    if nodes:
        d["nodes"] = list(_nodes(result))
    if result.notes:
        d["notes"] = [say(n, words) for n in result.notes]
    return d


@without_gc
def write_json(result: "Result", out, nodes: bool = True, words: Words | None = None) -> None:
    """Write json_line(to_json(result, nodes, words)) and a newline to `out`: the
    same text, but the gradients and the nodes a batch at a time (a million
    nodes as dicts in one list would take gigabytes)."""
    head = json_line({"output": _output_label(result), "value": _j(result.value)})
    out.write(head[:-1] + ', "gradients": {')
    _write_batches(out, (json_line(dict(batch))[1:-1] for batch in _batches(_gradients(result))))
    out.write("}")
    if nodes:
        out.write(', "nodes": [')
        _write_nodes(out, result)
        out.write("]")
    if result.notes:
        out.write(', "notes": ' + json_line([say(n, words) for n in result.notes]))
    out.write("}\n")


_BATCH = 10_000


def _batches(items, size: int = _BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_batches(out, texts) -> None:
    sep = ""
    for text in texts:
        out.write(sep + text)
        sep = ", "


# One encoder for every line: json.dumps with options other than its defaults
# builds a new JSONEncoder on each call. Its text is json.dumps's, to the byte.
json_line = json.JSONEncoder(allow_nan=False, ensure_ascii=False).encode

