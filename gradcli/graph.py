"""Program -> computation graph, in flat arrays.

Node ids are positions in topological order: every node comes after its
arguments, because it is built after them. A name used twice refers to one
node, and that is where fan-out (the tutorials' `+=`) lives. Everything is
built with loops and explicit stacks, so depth is never a problem.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import re
import sys
from array import array
from typing import TYPE_CHECKING

from .errors import Phrase, ProgramError, Source
from .flat import NAME, NUM, Program, without_gc
from .ops import BARE_CONSTANTS, OPS, Op

if TYPE_CHECKING:
    from . import ast

INPUT, CONST, OP = 0, 1, 2
_AUG = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
LABEL_WIDTH = 40


class Spans:
    """span[i] of every node, as (start, end) or None, kept in two arrays:
    a tuple and two ints for each of a million nodes would cost ~100 MB."""
    __slots__ = ("start", "end")

    def __init__(self, size: int = 0):
        typecode = "i" if size < 2**31 else "q"  # 4 bytes unless the text passes 2 GB
        self.start = array(typecode)
        self.end = array(typecode)

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, i: int) -> "ast.Span | None":
        start = self.start[i]
        return None if start < 0 else (start, self.end[i])

    def __setitem__(self, i: int, span: "ast.Span | None") -> None:
        self.start[i], self.end[i] = span if span is not None else (-1, -1)

    def __iter__(self):
        for i in range(len(self.start)):
            yield self[i]

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def append(self, span: "ast.Span | None") -> None:
        start, end = span if span is not None else (-1, -1)
        self.start.append(start)
        self.end.append(end)


class Args:
    """args[i] of every node, as a tuple of node ids, kept in two arrays: the
    arguments of all nodes in a row, and where each node's begin. A tuple
    and an int object per node would cost ~100 MB at a million nodes."""
    __slots__ = ("ids", "first")

    def __init__(self):
        self.ids = array("i")          # up to 2**31 nodes
        self.first = array("i", [0])   # node i's arguments: ids[first[i]:first[i + 1]]

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
    backward   the program's hand-written backward pass (statements), if any
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
        self.backward: list[ast.Stmt] = []  # a hand-written backward pass, for --verify
        self._fns: list | None = None

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


def is_signed_number(expr: "ast.Expr") -> bool:
    """`3`, `-3`, `+3` (a bound input), as opposed to an expression."""
    from . import ast
    if isinstance(expr, ast.Apply) and expr.op == "neg":
        expr = expr.args[0]
    return isinstance(expr, ast.Num)


def signed_value(expr: "ast.Expr") -> float:
    from . import ast
    if isinstance(expr, ast.Apply):
        return -expr.args[0].value  # type: ignore[union-attr]
    return expr.value  # type: ignore[union-attr]


class Builder:
    """Walks a program's statements in order, keeping the names in scope.

    It reads the flat form of the program (flat.py: postfix code in arrays),
    so a statement of a million operations is one loop over a few arrays."""

    def __init__(self, source: Source, bindings: Mapping[str, float]):
        self.g = Graph(source)
        self.bindings = bindings
        # Names in scope -> node. An input's own name is found in g.inputs
        # instead (see lookup): a million inputs need not be kept twice.
        self.env: dict[str, int] = {}
        self.assigned: set[str] = set()   # names the program assigns anywhere
        self.computed: dict[str, ast.Span] = {}  # names assigned an expression
        self.last: str | None = None
        self.p: Program | None = None
        self.pending: list[int] | None = None  # the value stack of a statement cut in two

    def program(self, p: "Program | list[ast.Stmt]") -> Graph:
        """The graph of a whole program: flat, or a list of statements."""
        if not isinstance(p, Program):
            from .flat import from_ast
            p = from_ast(p)
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
        begin = 0
        for s, end in enumerate(p.code_end):
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
                    and (n == 1 or args[begin + 1] == "neg")):
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
        if not g.outputs and self.last is not None:
            g.outputs.append((self.last, self.lookup(self.last)))
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
                              or n == 2 and tags[begin] == NUM and p.arg[begin + 1] == "neg")
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
                node = g.add(OP, OPS[_AUG[aug]], (left, right), None, (span[0], p.end[end - 1]))
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
        table, env, inputs = OPS, self.env, g.inputs
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
                a = tuple(stack[-t:])
                del stack[-t + 1:]
                stack[-1] = len(need)
                kind(OP)
                ops(table[vals[k]])
                extend(a)
                first(len(ids))
                needs(any(need[x] for x in a))
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
            from .ops import CONSTANTS
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
        g = self.g
        g.live = used = g.reachable_sweep(node for _, node in g.outputs)
        unbound = [n for n, i in g.inputs.items() if g.value[i] is None and used[i]]
        if unbound:
            first = g.span[g.inputs[unbound[0]]]
            example = " ".join("%s=1" % n for n in unbound[:4])
            raise ProgramError(
                "no value for %s %s" % ("input" if len(unbound) == 1 else "inputs", ", ".join(unbound)),
                span=first, source=g.source,
                hint=Phrase("bind %s {bind=%s} or in the program (%s = 1)",
                            "it" if len(unbound) == 1 else "them", example, unbound[0]))
        for n in [n for n, i in g.inputs.items() if g.value[i] is None]:
            del g.inputs[n]  # unbound and unused: not an input of any output


def build(stmts: list[ast.Stmt], source: Source, bindings: Mapping[str, float] | None = None) -> Graph:
    """The graph of a parsed program; `bindings` (from the command line) override
    the program's own `name = number` bindings. A hand-written backward pass at
    the end of the program (see split_backward) is left out of the graph and
    kept in `graph.backward` for --verify."""
    from .flat import from_ast
    stmts, backward = split_backward(stmts)
    g = build_program(from_ast(stmts), source, bindings)
    g.backward = backward
    return g


def names_used(e: ast.Expr) -> list[str]:
    """The variable names an expression reads, in order, with repeats."""
    from . import ast
    found, stack = [], [e]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Name):
            found.append(e.id)
        elif isinstance(e, ast.Apply):
            stack.extend(reversed(e.args))
    return found


def split_backward(stmts: list[ast.Stmt]) -> tuple[list[ast.Stmt], list[ast.Stmt]]:
    """(forward pass, hand-written backward pass) of a program.

    The backward pass is the tail that starts at the first statement S such
    that S and every statement after it assign (=, +=, ...) a name d<name>,
    where <name> is a forward name (assigned or read by a statement before S)
    and d<name> itself is not one. So `den = ...` or `dot = ...` stay forward
    statements, and so does a `dx = ...` that a later forward statement reads.
    """
    from . import ast
    n = len(stmts)
    start = n  # the longest tail of assignments to d-prefixed names
    while start > 0:
        s = stmts[start - 1]
        if not (isinstance(s, ast.Assign) and len(s.name) > 1 and s.name[0] == "d"):
            break
        start -= 1
    if start == n:
        return stmts, []
    known: set[str] = set()
    prefix: list[set[str]] = []  # names of the whole program up to each statement of the tail
    for k, s in enumerate(stmts):
        if k >= start:
            prefix.append(set(known))
        if isinstance(s, ast.Assign):
            known.update(names_used(s.value))
            known.add(s.name)
        else:
            known.update(names_used(s.expr))
    k = max(start, 1)
    while k < n:
        forward = prefix[k - start]
        bad = next((j for j in range(k, n) if stmts[j].name[1:] not in forward  # type: ignore[union-attr]
                    or stmts[j].name in forward), None)  # type: ignore[union-attr]
        if bad is None:
            return stmts[:k], stmts[k:]
        # A later start can only help when <name> gets defined before `bad`.
        name = stmts[bad].name  # type: ignore[union-attr]
        k = k + 1 if name[1:] in prefix[bad - start] and name not in forward else bad + 1
    return stmts, []


# A statement that may assign a bare constant (`pi = 3`, `var pi = 3`), or
# something that looks like one inside a comment: finding none, the builder
# knows every bare `pi` is the constant before it has seen the whole program.
PIECE = 4096  # statements per piece
PIECE_CODE = 65536  # code per piece, a long statement being cut


def _at_statement_start(rest: str, words):
    """A search for `rest` (which contains one of `words`) at the start of
    the text or after a newline or ';'. Two patterns, because a search whose
    pattern begins with a set of characters skips ahead fast, while one that
    begins with `(?:^|[\\n;])` tries every position (at a million
    operations: 0.5 s a search); none at all if no word is in the text."""
    first = re.compile(rest).match
    later = re.compile("[\n;]" + rest).search
    return lambda text: any(w in text for w in words) and (first(text) or later(text)) or None


_ASSIGNS_CONSTANT = _at_statement_start(r"[ \t\f\r]*(?:[A-Za-z_][A-Za-z0-9_]*[ \t\f\r]+)?(?:%s)[ \t\f\r]*[-+*/]?="
                                        % "|".join(BARE_CONSTANTS), BARE_CONSTANTS)


MAX_PROGRAM_CHARS = 64 * 2**20  # about 15 million operations, some 6 GB of memory


def check_size(source: Source) -> None:
    """Refuse, up front, a program too big to compute in reasonable time and memory."""
    size = len(source.text)
    if size > MAX_PROGRAM_CHARS:
        from .errors import InputError
        raise InputError("the program is %.0f MiB of text; gradcli reads programs of up to %d MiB "
                         "(about 15 million operations)" % (size / 2**20, MAX_PROGRAM_CHARS // 2**20),
                         hint="split the computation, or compute the parts that matter")


# An assignment to a d-prefixed name: the program may end in a hand-written
# backward pass (split_backward), which only the syntax-tree road looks for.
_ASSIGNS_D_NAME = _at_statement_start(r"[ \t\f\r]*(?:[A-Za-z_][A-Za-z0-9_]*[ \t\f\r]+)?d[A-Za-z0-9_]+"
                                      r"[ \t\f\r]*[-+*/]?=(?!=)", ("d",))


def build_source(source: Source, bindings: Mapping[str, float] | None = None) -> Graph:
    """Text -> graph, the program read and built a piece at a time, so the
    whole of a big program is never held twice (as text and as code)."""
    check_size(source)
    if _ASSIGNS_D_NAME(source.text):
        from .parse import parse
        return build(parse(source), source, bindings)
    from . import fastparse
    from .parse import parse_lark
    return without_gc(_build_source)(source, bindings or {}, fastparse, parse_lark)


def _build_source(source, bindings, fastparse, parse_lark) -> Graph:
    text = source.text
    piecewise = _ASSIGNS_CONSTANT(text) is None
    builder = Builder(source, bindings)
    for program, done in fastparse.chunks(text, PIECE if piecewise else None,
                                          PIECE_CODE if piecewise else None):
        if not piecewise:
            builder.assigned = set(program.name)
            builder.assigned.discard(None)
        builder.statements(program)
        if done:
            program.clear()  # before finish() allocates more
            return _trimmed(builder.finish(scope=False))  # the builder is dropped: no scope to keep
    # The fast parser gave up: lark parses the text, or says what is wrong.
    from .flat import from_ast
    return Builder(source, bindings).program(from_ast(parse_lark(source)))


def _trimmed(g: Graph) -> Graph:
    """Hand the memory freed while building (the program's code, tens of MB
    for a big one) back to the system, where the C library can: it would
    otherwise stay in the process's heap through the evaluation."""
    if len(g) > 100_000 and sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass
    return g


def build_program(program: Program, source: Source, bindings: Mapping[str, float] | None = None) -> Graph:
    """The graph of a program in flat form (what parse.parse_program returns)."""
    return without_gc(Builder(source, bindings or {}).program)(program)

