"""Results -> things to show: rich renderables and JSON. No math here, and no
printing: the command line decides where the output goes."""
from __future__ import annotations

import json
import math
from array import array
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from itertools import islice, repeat
from operator import and_, eq
from typing import TYPE_CHECKING

from .errors import Words, fill, say
from .flat import without_gc
from .graph import CONST, INPUT
from .wires import MANY, Uses, counted

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
    if result.graph.arrays:
        return array_table(result, precision, max_rows, words)
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
_HEAD = '{"id": %d, "label": %s, "op": %s, "value": %s, "grad": %s, "args": %s, "uses": ['
_FLOAT_ONLY = {float}


def _texts(xs: list) -> list[str]:
    """[_number(x) for x in xs], the same text. repr of a float of 17 digits
    takes a microsecond, and a big graph's numbers repeat (gradients of 1.0,
    the same few inputs), so each distinct number is written once."""
    if set(map(type, xs)) <= _FLOAT_ONLY and all(map(math.isfinite, xs)):
        distinct = dict.fromkeys(xs)
        if len(distinct) * 2 > len(xs):
            return list(map(repr, xs))
        texts = dict(zip(distinct, map(repr, distinct)))
        if 0.0 in texts:  # 0.0 and -0.0 are one key
            return [texts[x] if x else repr(x) for x in xs]
        return list(map(texts.__getitem__, xs))
    return [repr(x) if x.__class__ is float and -_INF < x < _INF else _number(x) for x in xs]


def _uses_text(uses: Uses, wires: list[int]) -> str:
    """The records of these wires, as json.dumps writes them."""
    shares = _texts(list(map(uses.share.__getitem__, wires)))
    return ", ".join([f'{{"node": {node}, "arg": {arg}, "share": {share}}}' for node, arg, share in
                      zip(map(uses.node.__getitem__, wires), map(uses.arg.__getitem__, wires), shares)])


def _write_nodes(out, result: "Result") -> None:
    """Write json_line(list(_nodes(result)))[1:-1], the same text, without
    making the records: each is formatted as json.dumps writes it (repr for
    a finite float, the encoder's own string escaping; tests/test_scale.py
    holds the two to the same text), a batch of nodes at a time, their
    labels and numbers a column at a time, and the uses of a node with more
    than a batch of them (x in x+x+...+x) a batch of uses at a time. A node
    with one wire leaving it (most nodes) needs no share computed: the
    share is its gradient (wires.counted)."""
    g = result.graph
    values, grads, kind, ops, needs = result.values, result.grads, g.kind, g.op, g.needs
    ids, first = g.args.ids, g.args.first
    used = _used(result)
    wiring = counted(result, used)
    uses = None
    if wiring is not None:
        gate, arg_of = wiring
        if any(map(and_, map(eq, gate, repeat(MANY)), needs)):  # a node that fans out: its wires' shares
            uses = Uses(result, list(map(and_, map(eq, gate, repeat(MANY)), needs)))
    else:
        uses = Uses(result)
        gate = array("i", [-1 if c == 0 else MANY if c > 1 else uses.node[w] for c, w in zip(uses.count, uses.first)])
        arg_of = array("i", [uses.arg[w] if w >= 0 else -1 for w in uses.first])
    del wiring
    text, number, size = encode_basestring, _number, _BATCH
    op_text = {"input": text("input"), "const": text("const")}
    head_format = _HEAD
    nodes: "range | list[int]" = range(len(used)) if all(used) else [i for i, u in enumerate(used) if u]
    sep = ""
    for lo in range(0, len(nodes), size):
        batch = nodes[lo:lo + size]
        labels = list(map(text, g.labels(batch)))
        vtexts = _texts(list(map(values.__getitem__, batch)))
        gtexts = _texts(list(map(grads.__getitem__, batch)))
        parts: list[str] = []
        for i, label, v, d in zip(batch, labels, vtexts, gtexts):
            k = kind[i]
            name = "input" if k == INPUT else "const" if k == CONST else ops[i].name  # type: ignore[union-attr]
            op = op_text.get(name) or op_text.setdefault(name, text(name))
            f = first[i]
            n = first[i + 1] - f
            to = gate[i] if needs[i] else -1
            if to >= 0 and n <= 2:  # the one wire's share is the gradient itself, to the bit (wires.py)
                # (f-strings: here % with its long format took twice as long)
                if n == 2:
                    parts.append(f'{{"id": {i}, "label": {label}, "op": {op}, "value": {v}, "grad": {d}, '
                                 f'"args": [{ids[f]}, {ids[f + 1]}], "uses": [{{"node": {to}, '
                                 f'"arg": {arg_of[i]}, "share": {d}}}]}}')
                elif n == 1:
                    parts.append(f'{{"id": {i}, "label": {label}, "op": {op}, "value": {v}, "grad": {d}, '
                                 f'"args": [{ids[f]}], "uses": [{{"node": {to}, '
                                 f'"arg": {arg_of[i]}, "share": {d}}}]}}')
                else:
                    parts.append(f'{{"id": {i}, "label": {label}, "op": {op}, "value": {v}, "grad": {d}, '
                                 f'"args": [], "uses": [{{"node": {to}, "arg": {arg_of[i]}, "share": {d}}}]}}')
                continue
            head = head_format % (i, label, op, v, d, ids[f:f + n].tolist())
            if to == -1:
                parts.append(head + "]}")
            elif to >= 0:
                parts.append(head + _USE % (to, arg_of[i], d) + "]}")
            else:  # the wires of a node that fans out, a batch of them at a time
                assert uses is not None
                chain, w = uses.next, uses.first[i]
                inner: str | None = None
                while w >= 0:
                    wires: list[int] = []
                    while w >= 0 and len(wires) < size:
                        wires.append(w)
                        w = chain[w]
                    records = _uses_text(uses, wires)
                    if inner is None and w < 0:  # all of them in one batch: the record as one part
                        parts.append(head + records + "]}")
                        break
                    if inner is None:  # more uses than a batch: the record in pieces, between the nodes around it
                        if parts:
                            out.write(sep + ", ".join(parts))
                            sep, parts = ", ", []
                        out.write(sep + head)
                        inner = ""
                    out.write(inner + records)
                    inner = ", "
                else:
                    out.write("]}")
                    sep = ", "
        if parts:
            out.write(sep + ", ".join(parts))
            sep = ", "


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
    if result.graph.arrays:
        return array_json(result, nodes, words)
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
    if result.graph.arrays:
        out.write(json_line(array_json(result, nodes, words)) + "\n")
        return
    head = json_line({"output": _output_label(result), "value": _j(result.value)})
    out.write(head[:-1] + ', "gradients": {')
    _write_gradients(out, result)
    out.write("}")
    if nodes:
        out.write(', "nodes": [')
        _write_nodes(out, result)
        out.write("]")
    if result.notes:
        out.write(', "notes": ' + json_line([say(n, words) for n in result.notes]))
    out.write("}\n")


_BATCH = 10_000


def _write_gradients(out, result: "Result") -> None:
    """Write json_line(dict(_gradients(result)))[1:-1], the same text, a
    batch of inputs at a time, their numbers a column at a time."""
    grads, inputs = result.grads, result.graph.inputs
    names, nodes = list(inputs), list(inputs.values())
    sep = ""
    for lo in range(0, len(names), _BATCH):
        texts = _texts([grads[i] or 0.0 for i in nodes[lo:lo + _BATCH]])
        out.write(sep + ", ".join([f"{k}: {d}" for k, d in zip(map(encode_basestring, names[lo:lo + _BATCH]), texts)]))
        sep = ", "


# One encoder for every line: json.dumps with options other than its defaults
# builds a new JSONEncoder on each call. Its text is json.dumps's, to the byte.
json_line = json.JSONEncoder(allow_nan=False, ensure_ascii=False).encode



# --- Array programs ---------------------------------------------------------

def _array_text(x, precision: int, full: bool) -> str:
    """An array's elements, nested as numpy writes them; a large one cut to its
    first and last elements unless `full`."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return number(float(a), precision)
    if not full and a.size > 6:
        flat = a.ravel()
        return "[%s, ..., %s] (%d)" % (", ".join(number(float(v), precision) for v in flat[:3]),
                                       number(float(flat[-1]), precision), a.size)
    rows = [a]
    text = np.array2string(a, separator=", ", threshold=a.size + 1,
                           formatter={"float_kind": lambda v: number(float(v), precision)},
                           max_line_width=10**9)
    del rows
    return " ".join(text.split())


def _shape(x) -> str:
    import numpy as np
    from .arrayops import shape_text
    return shape_text(np.shape(x)) if np.ndim(x) else "()"


def array_table(result: "Result", precision: int = DEFAULT_PRECISION,
                max_rows: int | None = DEFAULT_MAX_ROWS, words: Words | None = None) -> "Group":
    """The table of an array program: one row per node, with its shape."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    g = result.graph
    values, grads = result.values, result.grads
    full = max_rows is None
    used = _used(result)
    t = Table(title=None, box=None, header_style="bold", pad_edge=False, show_edge=False)
    t.add_column("node", overflow="fold")
    t.add_column("op")
    t.add_column("shape", justify="right")
    t.add_column("value", justify="right", overflow="fold")
    t.add_column("grad", justify="right", overflow="fold")
    for i, u in enumerate(used):
        if not u:
            continue
        style = "bold cyan" if g.kind[i] == INPUT else ("dim" if g.kind[i] == CONST else "")
        if i == result.output:
            style = "bold green"
        t.add_row(Text(g.label(i), style=style), op_name(result, i), _shape(values[i]),
                  _array_text(values[i], precision, full),
                  "-" if grads[i] is None else _array_text(grads[i], precision, full))
    summary = Table(box=None, show_header=True, header_style="bold", pad_edge=False, show_edge=False)
    summary.add_column("input")
    summary.add_column("shape", justify="right")
    summary.add_column("value", justify="right", overflow="fold")
    summary.add_column("d %s / d input" % _short(result.label), justify="right", overflow="fold")
    for name, i in g.inputs.items():
        d = grads[i]
        summary.add_row(Text(name, style="bold cyan"), _shape(values[i]), _array_text(values[i], precision, full),
                        _array_text(0.0 if d is None else d, precision, full))
    parts: list[RenderableType] = [
        Text.assemble(("forward and backward pass of ", "bold"), (result.label, "bold green")),
        t, Text(""),
        Text.assemble(("output ", "bold"), (result.label, "bold green"), " = ",
                      (_array_text(result.value, precision, full), "bold")),
    ]
    if g.inputs:
        parts.append(summary)
    for note in result.notes:
        parts.append(Text("note: " + say(note, words), style="yellow"))
    return Group(*parts)


def _nested(x):
    """An array as nested lists of floats (strict JSON: nan and inf as strings)."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    if np.all(np.isfinite(a)):
        return a.tolist()
    return np.vectorize(lambda v: _j(float(v)), otypes=[object])(a).tolist()


def array_json(result: "Result", nodes: bool = True, words: Words | None = None) -> dict:
    import numpy as np
    g = result.graph
    d: dict = {"output": _output_label(result), "shape": list(np.shape(result.value)),
               "value": _nested(result.value),
               "gradients": {name: _nested(0.0 if result.grads[i] is None else result.grads[i])
                             for name, i in g.inputs.items()}}
    if nodes:
        d["nodes"] = [{"id": i, "label": g.label(i), "op": op_name(result, i) if g.kind[i] != 2 else
                       g.op[i].name,  # type: ignore[union-attr]
                       "shape": list(np.shape(result.values[i])), "value": _nested(result.values[i]),
                       "grad": None if result.grads[i] is None else _nested(result.grads[i]),
                       "args": list(g.args[i])}
                      for i, u in enumerate(_used(result)) if u]
    if result.notes:
        d["notes"] = [say(n, words) for n in result.notes]
    return d
