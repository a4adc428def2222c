"""Program -> computation graph, in flat arrays.

Node ids are positions in topological order: every node comes after its
arguments, because it is built after them. A name used twice refers to one
node, and that is where fan-out (the tutorials' `+=`) lives. Everything is
built with loops and explicit stacks, so depth is never a problem.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from . import ast
from .errors import ProgramError, Source
from .ops import BARE_CONSTANTS, OPS, Op

INPUT, CONST, OP = 0, 1, 2
_AUG = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
LABEL_WIDTH = 40


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
        self.args: list[tuple[int, ...]] = []
        self.value: list[float | None] = []
        self.name: list[str | None] = []
        self.span: list[ast.Span | None] = []
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
        self.needs.append(kind == INPUT or any(needs[a] for a in args))
        return len(self.kind) - 1

    def text(self, i: int) -> str:
        """The source text of node i, in full."""
        span = self.span[i]
        return self.source.text[span[0]:span[1]] if span else (self.name[i] or "")

    def label(self, i: int, width: int = LABEL_WIDTH) -> str:
        """What people call node i: its name, else its source text, shortened."""
        if self.name[i]:
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
        args = self.args
        while stack:
            i = stack.pop()
            if not seen[i]:
                seen[i] = True
                stack.extend(args[i])
        return seen


def is_signed_number(expr: ast.Expr) -> bool:
    """`3`, `-3`, `+3` (a bound input), as opposed to an expression."""
    if isinstance(expr, ast.Apply) and expr.op == "neg":
        expr = expr.args[0]
    return isinstance(expr, ast.Num)


def signed_value(expr: ast.Expr) -> float:
    if isinstance(expr, ast.Apply):
        return -expr.args[0].value  # type: ignore[union-attr]
    return expr.value  # type: ignore[union-attr]


class Builder:
    """Walks a program's statements in order, keeping the names in scope."""

    def __init__(self, source: Source, bindings: Mapping[str, float]):
        self.g = Graph(source)
        self.bindings = bindings
        self.env: dict[str, int] = {}
        self.assigned: set[str] = set()   # names the program assigns anywhere
        self.computed: dict[str, ast.Span] = {}  # names assigned an expression
        self.last: str | None = None

    def program(self, stmts: list[ast.Stmt]) -> Graph:
        g = self.g
        self.assigned = {s.name for s in stmts if isinstance(s, ast.Assign)}
        for s in stmts:
            if isinstance(s, ast.Output):
                node = self.expr(s.expr)
                label = s.expr.id if isinstance(s.expr, ast.Name) else g.label(node)
                g.outputs.append((label, node))
            else:
                self.assign(s)
        if not g.outputs and self.last is not None:
            g.outputs.append((self.last, self.env[self.last]))
        if not g.outputs:
            raise ProgramError("the program has nothing to compute", source=g.source,
                               hint="give an expression, as in: gradcli \"x*y\" x=2 y=3")
        self.bind_command_line()
        self.check_bound()
        return g

    def assign(self, s: ast.Assign) -> None:
        g = self.g
        value = s.value
        if s.aug:
            start = s.span[0]
            value = ast.Apply(_AUG[s.aug], (ast.Name(s.name, s.span), value), (start, value.span[1]))
        existing = self.env.get(s.name)
        if not s.aug and is_signed_number(value) and (
                existing is None or (g.kind[existing] == INPUT and g.value[existing] is None)):
            if existing is None:
                existing = g.add(INPUT, None, (), None, s.span, s.name)
                g.inputs[s.name] = existing
            g.value[existing] = self.bindings.get(s.name, signed_value(value))
            self.env[s.name] = existing
        else:
            node = self.expr(value)
            if g.name[node] is None and g.kind[node] != INPUT:
                g.name[node] = s.name
            self.env[s.name] = node
            self.computed.setdefault(s.name, s.span)
        self.last = s.name

    def expr(self, e: ast.Expr) -> int:
        """Add the nodes of an expression, arguments first; return its node."""
        g = self.g
        results: list[int] = []
        stack: list[tuple[ast.Expr, bool]] = [(e, False)]
        while stack:
            e, ready = stack.pop()
            if isinstance(e, ast.Num):
                results.append(g.add(CONST, None, (), e.value, e.span))
            elif isinstance(e, ast.Name):
                results.append(self.name(e))
            elif ready:
                n = len(e.args)
                args = tuple(results[-n:])
                del results[-n:]
                results.append(g.add(OP, OPS[e.op], args, None, e.span))
            else:
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args))
        return results[0]

    def name(self, e: ast.Name) -> int:
        node = self.env.get(e.id)
        if node is not None:
            return node
        g = self.g
        if e.id in BARE_CONSTANTS and e.id not in self.assigned and e.id not in self.bindings:
            from .ops import CONSTANTS
            return g.add(CONST, None, (), CONSTANTS[e.id], e.span)
        node = g.add(INPUT, None, (), self.bindings.get(e.id), e.span, e.id)
        g.inputs[e.id] = self.env[e.id] = node
        return node

    def bind_command_line(self) -> None:
        g = self.g
        for name, value in self.bindings.items():
            if name in g.inputs:
                continue
            if name in self.computed:
                raise ProgramError(
                    "%s is computed by the program, so it cannot be bound on the command line" % name,
                    span=self.computed[name], source=g.source,
                    hint="bind the inputs it is computed from instead")
            # Bound but unused: it still gets a gradient (0).
            g.inputs[name] = g.add(INPUT, None, (), value, None, name)

    def check_bound(self) -> None:
        g = self.g
        g.live = used = g.reachable(node for _, node in g.outputs)
        unbound = [n for n, i in g.inputs.items() if g.value[i] is None and used[i]]
        if unbound:
            first = g.span[g.inputs[unbound[0]]]
            example = " ".join("%s=1" % n for n in unbound[:4])
            raise ProgramError(
                "no value for %s %s" % ("input" if len(unbound) == 1 else "inputs", ", ".join(unbound)),
                span=first, source=g.source,
                hint="bind %s on the command line (%s) or in the program (%s = 1)"
                     % ("it" if len(unbound) == 1 else "them", example, unbound[0]))
        for n in [n for n, i in g.inputs.items() if g.value[i] is None]:
            del g.inputs[n]  # unbound and unused: not an input of any output


def build(stmts: list[ast.Stmt], source: Source, bindings: Mapping[str, float] | None = None) -> Graph:
    """The graph of a parsed program; `bindings` (from the command line) override
    the program's own `name = number` bindings. A hand-written backward pass at
    the end of the program (see split_backward) is left out of the graph and
    kept in `graph.backward` for --verify."""
    stmts, backward = split_backward(stmts)
    g = Builder(source, bindings or {}).program(stmts)
    g.backward = backward
    return g


def names_used(e: ast.Expr) -> list[str]:
    """The variable names an expression reads, in order, with repeats."""
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

