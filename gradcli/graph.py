"""A program in flat form -> its computation graph, in flat arrays.

Node ids are positions in topological order: every node comes after its
arguments, because it is built after them. A name used twice refers to one
node, and that is where fan-out (the tutorials' `+=`) lives. Everything is
built with loops and explicit stacks, so depth is never a problem.
"""
from __future__ import annotations

import re
from array import array
from itertools import repeat
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .errors import Phrase, ProgramError, Source
from .flat import NAME, NUM, Program, written_as_number
from .ops import BARE_CONSTANTS, CONSTANTS, OPS, Op
from .syntax import COMPOUND, NEGATE

if TYPE_CHECKING:
    from . import ast

INPUT, CONST, OP = 0, 1, 2
LABEL_WIDTH = 40


class Spans:
    """span[i] of every node, as (start, end) or None, kept in two arrays:
    a tuple and two ints for each of a million nodes would cost ~100 MB."""
    __slots__ = ("start", "end", "none")

    def __init__(self, size: int = 0):
        # 4 bytes unless the text passes 4 GB; unsigned, as the parser's
        # positions are (flat.Program), with the largest value for None.
        typecode = "I" if size < 2**32 - 1 else "Q"
        self.start = array(typecode)
        self.end = array(typecode)
        self.none = 2 ** (8 * self.start.itemsize) - 1

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, i: int) -> "ast.Span | None":
        start = self.start[i]
        return None if start == self.none else (start, self.end[i])

    def __setitem__(self, i: int, span: "ast.Span | None") -> None:
        self.start[i], self.end[i] = span if span is not None else (self.none, self.none)

    def __iter__(self):
        for i in range(len(self.start)):
            yield self[i]

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def append(self, span: "ast.Span | None") -> None:
        start, end = span if span is not None else (self.none, self.none)
        self.start.append(start)
        self.end.append(end)


class Args:
    """args[i] of every node, as a tuple of node ids, kept in two arrays: the
    arguments of all nodes in a row, and where each node's begin. A tuple
    and an int object per node would cost ~100 MB at a million nodes."""
    __slots__ = ("ids", "first")

    def __init__(self):
        self.ids = array("I")          # up to 2**32 nodes (unsigned: faster to append)
        self.first = array("I", [0])   # node i's arguments: ids[first[i]:first[i + 1]]

    def __len__(self) -> int:
        return len(self.first) - 1

    def __getitem__(self, i: int) -> tuple[int, ...]:
        if i < 0:
            i += len(self.first) - 1
        first = self.first
        return tuple(self.ids[first[i]:first[i + 1]])

    def __iter__(self):
        ids, first = self.ids, self.first
        for i in range(len(first) - 1):
            yield tuple(ids[first[i]:first[i + 1]])

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def append(self, args: tuple[int, ...]) -> None:
        self.ids.extend(args)
        self.first.append(len(self.ids))


class Graph:
    """Nodes as parallel lists, indexed by node id.

    kind[i]    INPUT, CONST or OP
    op[i]      the Op record (None for inputs and constants)
    args[i]    argument node ids
    value[i]   bound value of an input or constant (None while unbound; OP nodes: None)
    name[i]    the program's name for the node, if it has one
    span[i]    (start, end) of its text in the source, or None
    needs[i]   True when the node depends on some input, so gradients flow through it
    inputs     input name -> node id, in order of first appearance
    outputs    (label, node id) for each output, in program order
    live[i]    True when some output depends on node i; only these are evaluated
    backward   the program's hand-written backward pass (a flat Program), if any
    scope      name -> node of every name in scope at the end (only when the
               front door is asked to keep it, for --verify and Program)
    computed   name -> span of every name the program assigns an expression (ditto)
    program    the forward statements, in flat form (ditto)
    circuit    the Unit-and-gate code the graph was read from (circuit.Circuit), or None
    """

    def __init__(self, source: Source):
        self.source = source
        self.kind: list[int] = []
        self.op: list[Op | None] = []
        self.args = Args()
        self.value: list[float | None] = []
        self.name: list[str | None] = []
        self.span = Spans(len(source.text))
        self.needs: list[bool] = []
        self.inputs: dict[str, int] = {}
        self.outputs: list[tuple[str, int]] = []
        self.live: list[bool] = []
        self.backward: Program = Program()  # a hand-written backward pass, for --verify
        self.scope: dict[str, int] = {}
        self.computed: dict[str, ast.Span] = {}
        self.program: Program = Program()
        self.notes: list[str] = []  # what the front door noticed, for every result's notes
        self.circuit: Any = None  # the Unit-and-gate code it was read from (circuit.Circuit), if any
        self._fns: list | None = None
        # Array programs (tensor.py): values are numpy arrays; init[i] is the
        # constant node that gives input i its starting value (w = [2, -3, -3]).
        self.arrays = False
        self.seed = 0
        self.init: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.kind)

    def add(self, kind: int, op: Op | None, args: tuple[int, ...], value: float | None,
            span: ast.Span | None, name: str | None = None) -> int:
        self.kind.append(kind)
        self.op.append(op)
        self.args.append(args)
        self.value.append(value)
        self.name.append(name)
        self.span.append(span)
        needs = self.needs
        needs.append(kind == INPUT or any(needs[a] for a in args))
        return len(self.kind) - 1

    def text(self, i: int) -> str:
        """The source text of node i, in full."""
        span = self.span[i]
        return self.source.text[span[0]:span[1]] if span else (self.name[i] or "")

    def label(self, i: int, width: int = LABEL_WIDTH, named: bool = True) -> str:
        """What people call node i: its name (unless `named` is false), else
        its source text, shortened."""
        if named and self.name[i]:
            return self.name[i]  # type: ignore[return-value]
        span = self.span[i]
        if span is None:
            return "?"
        start, end = span
        text = self.source.text
        if end - start <= width:
            return " ".join(text[start:end].split())
        half = (width - 3) // 2
        head = " ".join(text[start:start + half].split())
        tail = " ".join(text[end - half:end].split())
        return head + "..." + tail

    def labels(self, nodes: Iterable[int], width: int = LABEL_WIDTH) -> list[str]:
        """[label(i, width) for i in nodes], written out: a big node list
        takes a label per node, and a call of label() each was a tenth of its time."""
        names, starts, ends, text = self.name, self.span.start, self.span.end, self.source.text
        none = self.span.none
        half = (width - 3) // 2
        out: list[str] = []
        add = out.append
        for i in nodes:
            name = names[i]
            if name:
                add(name)
                continue
            start = starts[i]
            if start == none:
                add("?")
                continue
            end = ends[i]
            if end - start <= width:
                add(" ".join(text[start:end].split()))
            else:
                add(" ".join(text[start:start + half].split()) + "..." + " ".join(text[end - half:end].split()))
        return out

    def gate(self, i: int) -> str:
        """Node i as errors name it: `y = log(x)` for a named node, else its text."""
        label = self.label(i)
        if self.name[i] and self.span[i] is not None:
            text = self.label(i, named=False)
            if text != label:
                return "%s = %s" % (label, text)
        return label

    def functions(self) -> list:
        """Per node: (value, partials, kink) compiled from its op's templates."""
        if self._fns is None:
            self._fns = [op.functions(len(a)) if op else None for op, a in zip(self.op, self.args)]
        return self._fns

    def reachable(self, roots: Iterable[int]) -> list[bool]:
        """Which nodes the given nodes depend on (themselves included)."""
        seen = [False] * len(self.kind)
        stack = list(roots)
        ids, first = self.args.ids, self.args.first
        while stack:
            i = stack.pop()
            if not seen[i]:
                seen[i] = True
                stack.extend(ids[first[i]:first[i + 1]])
        return seen

    def reachable_sweep(self, roots: Iterable[int]) -> list[bool]:
        """reachable(roots) in one sweep down from the last root (arguments
        come before their node, so each is marked before the sweep gets to
        it): twice as fast when most nodes are reached, as from all outputs,
        but it passes every node below the last root."""
        seen = [False] * len(self.kind)
        roots = list(roots)
        for i in roots:
            seen[i] = True
        ids, first = self.args.ids, self.args.first
        for i in range(max(roots, default=-1), -1, -1):
            if seen[i]:
                for a in ids[first[i]:first[i + 1]]:
                    seen[a] = True
        return seen


class NeedsArrays(Exception):
    """The program uses an array op: the scalar builder cannot build it."""


class _ScalarOps(dict):
    def __missing__(self, key):
        raise NeedsArrays(key)


class Builder:
    """Walks a program's statements in order, keeping the names in scope.

    It reads the flat form of the program (flat.py: postfix code in arrays),
    so a statement of a million operations is one loop over a few arrays."""

    table: dict = _ScalarOps(OPS)  # op name -> record; an array op's name raises NeedsArrays

    def __init__(self, source: Source, bindings: Mapping[str, float], open_inputs: bool = False):
        self.g = Graph(source)
        self.bindings = bindings
        self.open_inputs = open_inputs  # inputs may stay unbound until evaluation (Program)
        # Names in scope -> node. An input's own name is found in g.inputs
        # instead (see lookup): a million inputs need not be kept twice.
        self.env: dict[str, int] = {}
        self.assigned: set[str] = set()   # names the program assigns anywhere
        self.computed: dict[str, ast.Span] = {}  # names assigned an expression
        self.last: str | None = None
        self.p = Program()  # the program (or piece) being built
        self.pending: list[int] | None = None  # the value stack of a statement cut in two

    def program(self, p: Program) -> Graph:
        """The graph of a whole program."""
        self.assigned = set(p.name)
        self.assigned.discard(None)
        self.statements(p)
        return self.finish()

    def statements(self, p: Program) -> None:
        """Add the statements of p (the whole program, or the next piece of it)."""
        g = self.g
        self.p = p
        tags, args = p.tag, p.arg
        env, inputs, bindings = self.env, g.inputs, self.bindings
        kind, ops, value, names, needs = (
            g.kind.append, g.op.append, g.value.append, g.name.append, g.needs.append)
        sstart, send = g.span.start.append, g.span.end.append
        first, ids = g.args.first, g.args.ids
        stmt_names, augs, nstart, nend = p.name, p.aug, p.nstart, p.nend
        text = g.source.text
        code_end = p.code_end
        runs = iter(p.binds)
        run = next(runs, None)
        begin = s = 0
        while s < len(code_end):
            if run is not None and run[0] == s:  # `w17 = 0.03` lines, new names all: inputs in bulk
                _, k, signed = run
                run = next(runs, None)
                new = stmt_names[s:s + k]
                if self.pending is None and len(set(new)) == k and not any(map(env.__contains__, new)) \
                        and not any(map(inputs.__contains__, new)):
                    n0 = len(g.needs)
                    inputs.update(zip(new, range(n0, n0 + k)))
                    g.kind.extend(repeat(INPUT, k))
                    g.op.extend(repeat(None, k))
                    first.extend(repeat(len(ids), k))
                    g.value.extend([bindings.get(n, v) for n, v in zip(new, signed)] if bindings else signed)
                    g.name.extend(new)
                    g.span.start.extend(nstart[s:s + k])
                    g.span.end.extend(nend[s:s + k])
                    g.needs.extend(repeat(True, k))
                    self.last = new[-1]
                    s += k
                    begin = code_end[s - 1]
                    continue
            end = code_end[s]
            name = stmt_names[s]
            n = end - begin
            if self.pending is not None:  # the end of a statement begun in an earlier piece
                node = self.expr(begin, end, self.pending)
                self.pending = None
                if name is None:
                    g.outputs.append((g.label(node), node))
                else:
                    self.assign(name, augs[s], (nstart[s], nend[s]), begin, end, node)
            elif (n <= 2 and name is not None and tags[begin] == NUM and not augs[s] and name not in env
                    and name not in inputs
                    and (n == 1 or args[begin + 1] == NEGATE)
                    and written_as_number(text, nend[s], p.end[end - 1])):
                # `w17 = 0.03` or `= -0.03`, the bulk of generated programs: a
                # new input, added here as assign() would, without its detours.
                node = inputs[name] = len(g.needs)
                kind(INPUT)
                ops(None)
                first.append(len(ids))
                value(bindings.get(name, args[begin] if n == 1 else -args[begin]))
                names(name)
                sstart(nstart[s])
                send(nend[s])
                needs(True)
                self.last = name
            elif name is None:
                node = self.expr(begin, end)
                label = args[begin] if n == 1 and tags[begin] == NAME else g.label(node)
                g.outputs.append((label, node))
            else:
                self.assign(name, augs[s], (nstart[s], nend[s]), begin, end)
            begin = end
            s += 1
        if begin < len(tags):  # a statement that goes on in the next piece
            self.pending = self.expr(begin, len(tags), self.pending or [], partial=True)

    def finish(self, scope: bool = True) -> Graph:
        g = self.g
        # From here on env holds every name in scope, inputs included, as
        # callers that read it after program() expect (`scope`).
        env = self.env
        if scope:
            for name, node in g.inputs.items():
                env.setdefault(name, node)
        if not g.outputs and self.last is not None:  # no bare expression: the last name assigned
            last = self.lookup(self.last)
            assert last is not None
            g.outputs.append((self.last, last))
        if not g.outputs:
            raise ProgramError("the program has nothing to compute", source=g.source,
                               hint=Phrase("give an expression, as in: {expression=x*y}"))
        self.bind_command_line()
        self.check_bound()
        return g

    def assign(self, name: str, aug: str, span: ast.Span, begin: int, end: int,
               node: int | None = None) -> None:
        """`name = code[begin:end]`; `node` when that code is already built."""
        g, p = self.g, self.p
        existing = self.lookup(name)
        tags = p.tag
        n = end - begin
        signed = node is None and not aug and (n == 1 and tags[begin] == NUM
                              or n == 2 and tags[begin] == NUM and p.arg[begin + 1] == NEGATE) \
            and written_as_number(g.source.text, span[1], p.end[end - 1])
        if signed and (existing is None or (g.kind[existing] == INPUT and g.value[existing] is None)):
            if existing is None:
                existing = g.add(INPUT, None, (), None, span, name)
                g.inputs[name] = existing
            value = p.arg[begin]
            g.value[existing] = self.bindings.get(name, -value if n == 2 else value)
            if name in self.env:
                self.env[name] = existing
        else:
            if aug:  # `x += e` is `x = x + e`, spanning from x to the end of e
                left = self.name(name, span)
                right = self.expr(begin, end)
                node = g.add(OP, OPS[COMPOUND[aug]], (left, right), None, (span[0], p.end[end - 1]))
            elif node is None:
                node = self.expr(begin, end)
            if g.name[node] is None and g.kind[node] != INPUT:
                g.name[node] = name
            self.env[name] = node
            self.computed.setdefault(name, span)
        self.last = name

    def expr(self, begin: int, end: int, stack: list[int] | None = None, partial: bool = False):
        """Add the nodes of code[begin:end], arguments first; return its node
        (with `partial`, the value stack, for the rest of the code to go on)."""
        g, p = self.g, self.p
        tags, vals, starts, ends = p.tag, p.arg, p.start, p.end
        kind, ops, value, names, needs = (
            g.kind.append, g.op.append, g.value.append, g.name.append, g.needs.append)
        sstart, send = g.span.start.append, g.span.end.append
        ids = g.args.ids
        arg, extend, first = ids.append, ids.extend, g.args.first.append
        need = g.needs
        table, env, inputs = self.table, self.env, g.inputs
        if stack is None:
            stack = []
        push = stack.append
        for k in range(begin, end):
            t = tags[k]
            if t == 2:
                b = stack.pop()
                a = stack[-1]
                stack[-1] = len(need)
                kind(OP)
                ops(table[vals[k]])
                arg(a)
                arg(b)
                first(len(ids))
                needs(need[a] or need[b])
            elif t == 1:
                a = stack[-1]
                stack[-1] = len(need)
                kind(OP)
                ops(table[vals[k]])
                arg(a)
                first(len(ids))
                needs(need[a])
            elif t == NAME:
                node = env.get(vals[k])
                if node is None:
                    node = inputs.get(vals[k])
                push(self.name(vals[k], (starts[k], ends[k])) if node is None else node)
                continue
            elif t == NUM:
                push(len(need))
                kind(CONST)
                ops(None)
                first(len(ids))
                needs(False)
                value(vals[k])
                names(None)
                sstart(starts[k])
                send(ends[k])
                continue
            else:
                xs = tuple(stack[-t:])
                del stack[-t + 1:]
                stack[-1] = len(need)
                kind(OP)
                ops(table[vals[k]])
                extend(xs)
                first(len(ids))
                needs(any(need[x] for x in xs))
            value(None)
            names(None)
            sstart(starts[k])
            send(ends[k])
        return stack if partial else stack[0]

    def lookup(self, name: str) -> int | None:
        """The node a name stands for now, or None."""
        node = self.env.get(name)
        return self.g.inputs.get(name) if node is None else node

    def name(self, id: str, span: ast.Span) -> int:
        node = self.lookup(id)
        if node is not None:
            return node
        g = self.g
        if id in BARE_CONSTANTS and id not in self.assigned and id not in self.bindings:
            return g.add(CONST, None, (), CONSTANTS[id], span)
        node = g.add(INPUT, None, (), self.bindings.get(id), span, id)
        g.inputs[id] = node
        return node

    def bind_command_line(self) -> None:
        g = self.g
        for name, value in self.bindings.items():
            if name in g.inputs:
                continue
            if name in self.computed:
                raise ProgramError(
                    Phrase("%s is computed by the program, so it cannot be bound {bindings}", name),
                    span=self.computed[name], source=g.source,
                    hint="bind the inputs it is computed from instead")
            # Bound but unused: it still gets a gradient (0).
            g.inputs[name] = g.add(INPUT, None, (), value, None, name)

    def check_bound(self) -> None:
        check_bound(self.g, self.open_inputs)


class _ArrayOps(dict):
    def __missing__(self, key):
        from .arrayops import lookup
        op = lookup(key)
        if op is None:
            raise KeyError(key)
        return op


class ArrayBuilder(Builder):
    """The builder of an array program (tensor.py evaluates it). A name
    assigned an expression that depends on no input (`w = [2, -3, -3]`,
    `W = 0.01 * randn(5, 10)`) is an input, that expression its starting
    value; the shape arguments of randn, zeros, ones and reshape take no
    gradient."""

    table: dict = _ArrayOps(OPS)

    def __init__(self, source: Source, bindings: Mapping[str, float], open_inputs: bool = False,
                 seed: int = 0):
        super().__init__(source, bindings, open_inputs)
        self.g.arrays = True
        self.g.seed = seed

    def expr(self, begin: int, end: int, stack: list[int] | None = None, partial: bool = False):
        g = self.g
        n0 = len(g)
        made = super().expr(begin, end, stack, partial)
        needs, ops, kind = g.needs, g.op, g.kind
        for i in range(n0, len(g)):
            if kind[i] == OP:
                op: Any = ops[i]
                args = g.args[i]
                if op.shape_args if hasattr(op, "shape_args") else False:
                    args = args[:op.arity]  # a shape: no gradient flows into it
                needs[i] = any(needs[a] for a in args)
        return made

    def assign(self, name: str, aug: str, span: ast.Span, begin: int, end: int,
               node: int | None = None) -> None:
        g = self.g
        if not aug and node is None and self.lookup(name) is None:
            node = self.expr(begin, end)
            if not g.needs[node] and g.kind[node] == OP:
                inp = g.add(INPUT, None, (), self.bindings.get(name), span, name)
                g.inputs[name] = inp
                g.init[inp] = node
                self.last = name
                return
        super().assign(name, aug, span, begin, end, node)


def check_bound(g: Graph, open_inputs: bool = False) -> None:
    """Find the live nodes; every input they use must have a value (unless
    `open_inputs`). Inputs with no value that no output uses are dropped."""
    g.live = used = g.reachable_sweep(node for _, node in g.outputs)
    unbound = [n for n, i in g.inputs.items() if g.value[i] is None and used[i] and i not in g.init]
    if unbound and not open_inputs:
        hint = None
        if "e" in unbound:  # e^x, written for Euler's number
            others = [n for n in unbound if n != "e"]
            if others:
                hint = Phrase("%s, and bind %s {bind=%s} or in the program (%s = 1)", _euler(g), some_names(others),
                              " ".join("%s=1" % n for n in others[:4]), others[0])
            else:
                hint = Phrase("%s; for an input named e, bind it {bind=e=1} or in the program (e = 1)", _euler(g))
        raise no_value(g, unbound, g.span[g.inputs[unbound[0]]], hint=hint)
    for n in [n for n, i in g.inputs.items() if g.value[i] is None and not used[i] and i not in g.init]:
        del g.inputs[n]  # unbound and unused: not an input of any output


def no_value(g: Graph, names: list[str], span: Any, *, hint: Phrase | None = None, why: str = "",
             source: Source | None = None) -> ProgramError:
    """"no value for inputs ...", at `span`, and how to bind them; `why` says
    what needs them, after the hint."""
    if hint is None:
        hint = Phrase("bind %s {bind=%s} or in the program (%s = 1)%s", "it" if len(names) == 1 else "them",
                      " ".join("%s=1" % n for n in names[:4]), names[0], why)
    return ProgramError("no value for %s %s" % ("input" if len(names) == 1 else "inputs", some_names(names)),
                        span=span, source=source or g.source, hint=hint)


def some_names(names: list[str], most: int = 10) -> str:
    """The first `most` names, and how many more: a program of thousands
    of unbound inputs gets a line, not a page."""
    if len(names) <= most:
        return ", ".join(names)
    return "%s and %d more" % (", ".join(names[:most]), len(names) - most)


def _euler(g: Graph) -> str:
    """How to write Euler's number where a program's unbound `e` is used:
    e^x is exp(x), or math.e^x."""
    e = g.inputs["e"]
    for i, op in enumerate(g.op):
        if op is not None and op.name == "pow" and g.args[i][0] == e:
            power = g.text(g.args[i][1])
            if power.startswith("(") and power.endswith(")"):
                inner = power[1:-1]
            else:
                inner, power = power, power if re.fullmatch(r"[\w.]+(?:\(.*\))?", power) else "(%s)" % power
            return "for Euler's number write exp(%s) or math.e^%s" % (inner, power)
    return "for Euler's number write math.e (or exp(1))"
