"""Gradient ascent: the tutorials' step loop, as a generator of steps.

    value, grads = forward and backward at the inputs
    input += step_size * grad      for every input that is not frozen (all at once)

repeated N times (`-=` to descend). Iterating an `Ascent` yields a `Step` for
k = 0 (the starting point), every `every`-th update and the last one. No
printing here: the command line and other callers decide what to show.

Speed: the graph is compiled once into one straight-line Python function
(from codegen.generate, i.e. from the op table's own templates) whose loop
runs a chunk of updates per call, so a step costs what the hand-written
"backprop ninja" loop costs. The interpreter (engine.forward/backward) is the
reference: whenever the compiled chunk raises or meets a non-finite value,
the chunk is replayed step by step by the interpreter, which finds the exact
step and the sub-expression to name. Both paths do the same float operations
in the same order, so they agree bit for bit.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from .arguments import label, names, real, to_float, whole
from .codegen import REUSED, absorbing, float_partials, inline, fewer_calls, total
from .engine import Result, _notes, backward, forward
from .errors import InputError, MathError, Phrase
from .graph import CONST, INPUT, OP, Graph

# Chunks are sized so one call takes at most a few milliseconds: Ctrl-C then
# loses little, and a replay by the interpreter stays short.
_WORK_PER_CHUNK = 4_000_000  # lines of generated code per call
_MAX_CHUNK = 50_000
_MAX_COMPILED_OPS = 150_000  # Python's compiler takes seconds and much memory beyond this
_ALWAYS_COMPILE = 2_000      # ops; below this compiling takes a few milliseconds
_LOOP_NAMES = frozenset({"_n", "_p", "_k", "_c", "_s", "_chunk"})


@dataclass(frozen=True)
class Step:
    """The state after k updates: the output's value, every input and the
    gradient of the output with respect to it (the one the next update uses).
    `change` is value - (value one update earlier), `predicted` the change the
    gradient predicted for that update, ±step·|grad|²; both None for k = 0."""
    k: int
    value: float
    inputs: dict[str, float]
    gradients: dict[str, float]
    change: float | None = None
    predicted: float | None = None


class _State:
    """Internal: inputs and gradients as tuples in input order."""
    __slots__ = ("k", "value", "inputs", "grads")

    def __init__(self, k: int, value: float, inputs: tuple, grads: tuple):
        self.k, self.value, self.inputs, self.grads = k, value, inputs, grads


class _Failure(Exception):
    """Internal: the interpreter stopped at a step; `good` is the state before it."""

    def __init__(self, error: MathError, good: _State):
        self.error, self.good = error, good


def output_node(g: Graph, name: str | None) -> tuple[str, int]:
    """(label, node) of the output called `name` (default: the first output)."""
    if name is None:
        return g.outputs[0]
    for label, node in g.outputs:
        if label == name:
            return label, node
    for label, node in g.outputs:  # a named node that is an output, by its name
        if g.name[node] == name:
            return label, node
    raise InputError("the program has no output called %r" % name,
                     hint="the outputs are: %s" % ", ".join(repr(l) for l, _ in g.outputs))


class Ascent:
    """The step loop over one output of a graph. Iterate it for the steps;
    afterwards `start`, `last` (the last good state reached, also after an
    error or Ctrl-C), `stopped` ("steps", "tol" or "error") and `error`.

    compiled: None compiles the loop when it pays off, True always, False
    never (the interpreter: the reference, and much slower)."""

    def __init__(self, graph: Graph, step: float, steps: int = 1, *, output: str | None = None,
                 descend: bool = False, freeze: str | Iterable[str] = (), every: int = 1,
                 tol: float | None = None, compiled: bool | None = None, samples: int = 0,
                 progress: Callable[[int], None] | None = None):
        if not isinstance(graph, Graph):
            raise TypeError("graph must be a graph, as gradcli.compile(text, bindings) makes, not %s"
                            % type(graph).__name__)
        if isinstance(every, int) and every < 1:
            raise InputError(Phrase("{every} needs a whole number of 1 or more"))
        step = real("the step size", step, hint=Phrase("as in {step=0.01}"))
        steps, every = whole("the number of steps", steps, 0), whole("every", every, 1)
        if isinstance(tol, (int, float)) and not 0.0 <= to_float(tol) < math.inf:
            raise InputError("the tolerance must be a finite number of 0 or more", hint=Phrase("as in {tol=1e-9}"))
        tol = None if tol is None else real("the tolerance", tol, hint=Phrase("as in {tol=1e-9}"))
        output, freeze = label("output", output), names("freeze", freeze)
        descend = bool(descend)
        if step == 0.0:
            raise InputError("a step of 0 moves nothing", hint=Phrase("give a step size, as in {step=0.01}"))
        self.graph = g = graph
        self.label, self.output = output_node(g, output)
        self.step_size, self.steps, self.descend = step, steps, descend
        self.every, self.tol, self.samples, self.progress = every, tol, samples, progress
        self.names = list(g.inputs)
        self.nodes = [g.inputs[n] for n in self.names]
        frozen = set()
        for name in freeze:
            if name not in g.inputs:
                raise InputError("cannot freeze %s: the program has no input of that name" % name,
                                 hint="the inputs are: %s" % (", ".join(self.names) or "none"))
            frozen.add(name)
        self.frozen = frozen
        # The interpreter evaluates only what this output depends on, like the compiled code.
        self._view = view = copy.copy(g)
        view.live = used = g.reachable([self.output])
        view.value = list(g.value)
        self.moving = [j for j, (n, i) in enumerate(zip(self.names, self.nodes))
                       if n not in frozen and used[i] and g.needs[i]]
        self._chunk = None
        self._lines = 1
        live_ops = sum(1 for i in range(len(g)) if used[i] and g.kind[i] == OP)
        # Compiling costs about as much as 40 steps of the interpreter: for a big
        # graph and a few steps, interpreting is quicker.
        if compiled or (compiled is None and (live_ops <= _ALWAYS_COMPILE or steps >= 64)):
            self._chunk, self._lines = compile_loop(self, live_ops)
        if self._chunk is None:
            self._lines = max(1, 3 * live_ops)
        self.compiled = self._chunk is not None
        self.start: Step | None = None
        self._last: Step | _State | None = None
        self.stopped: str | None = None
        self.error: MathError | None = None
        self.trace: list[tuple[int, float]] = []   # (k, value) at every chunk end, for plots (samples)

    # -- the reference: one state by the interpreter -------------------------------------

    def _evaluate(self, k: int, inputs: Sequence[float]) -> _State:
        """Forward and backward at `inputs` (the state after k updates), checked."""
        view = self._view
        value = view.value
        for i, v in zip(self.nodes, inputs):
            value[i] = v
        try:
            values = forward(view)
            grads = backward(view, values, self.output)
        except MathError as e:
            raise self._at_step(k, e) from None
        out = values[self.output]
        gr = tuple(0.0 if grads[i] is None else grads[i] for i in self.nodes)
        g = self.graph
        for j in range(len(inputs)):
            if not math.isfinite(inputs[j]):
                raise self._at_step(k, MathError(
                    "the update made %s too large for double precision (%s = %s)"
                    % (self.names[j], self.names[j], inputs[j]), span=g.span[self.nodes[j]], source=g.source))
        if not math.isfinite(out):
            raise self._at_step(k, MathError("%s is %s" % (self.label, out), span=g.span[self.output],
                                             source=g.source))
        for j in self.moving:
            if not math.isfinite(gr[j]):
                raise self._at_step(k, MathError(
                    "the gradient of %s is %s: it overflowed double precision on its way back"
                    % (self.names[j], gr[j]), span=g.span[self.output], source=g.source))
        return _State(k, out, tuple(inputs), gr)

    def _at_step(self, k: int, e: MathError) -> MathError:
        where = "step %d (the starting point)" % k if k == 0 else "step %d" % k
        hint = ("change the starting values so that it can be evaluated" if k == 0 else
                Phrase("the loop stopped before this update; a smaller {step} (now %s) may keep it in range",
                       "%.17g" % self.step_size if self.step_size == int(self.step_size) else repr(self.step_size)))
        return MathError("at %s: %s" % (where, e.message), span=e.span, source=e.source, hint=hint)

    def _interpret(self, st: _State, m: int) -> tuple[_State, bool]:
        """m updates from st by the interpreter; (state, stopped by --tol)."""
        step, tol, moving = self.step_size, self.tol, self.moving
        sign = -1 if self.descend else 1
        for _ in range(m):
            inputs = list(st.inputs)
            grads = st.grads
            for j in moving:
                if sign > 0:
                    inputs[j] = inputs[j] + step * grads[j]
                else:
                    inputs[j] = inputs[j] - step * grads[j]
            try:
                new = self._evaluate(st.k + 1, inputs)
            except MathError as e:
                raise _Failure(e, st) from None
            if tol is not None and abs(new.value - st.value) < tol:
                return new, True
            st = new
        return st, False

    # -- the fast path ---------------------------------------------------------------------

    def _advance(self, st: _State, m: int) -> tuple[_State, bool]:
        """m updates from st (m >= 1), compiled when possible; (state, stopped by --tol)."""
        if self._chunk is not None:
            try:
                done, status, value, inputs, grads = self._chunk(m, st.value, *st.inputs,
                                                                 *[st.grads[j] for j in self.moving])
            except (ValueError, ZeroDivisionError, OverflowError):
                status = 1
            if status != 1 and all(map(math.isfinite, inputs)) and all(
                    math.isfinite(grads[j]) for j in self.moving):
                return _State(st.k + done, value, inputs, grads), status == 2
        # Something failed somewhere in the chunk: the interpreter finds where.
        return self._interpret(st, m)

    def _step(self, st: _State, prev: _State | None = None) -> Step:
        names = self.names
        change = predicted = None
        if prev is not None:
            change = st.value - prev.value
            g2 = sum(prev.grads[j] * prev.grads[j] for j in self.moving)
            predicted = (-self.step_size if self.descend else self.step_size) * g2
        return Step(st.k, st.value, dict(zip(names, st.inputs)), dict(zip(names, st.grads)),
                    change, predicted)

    def _chunk_size(self) -> int:
        size = max(1, min(_MAX_CHUNK, _WORK_PER_CHUNK // self._lines))
        if self.samples:
            size = min(size, max(1, self.steps // self.samples))
        return size

    def __iter__(self) -> Iterator[Step]:
        g = self.graph
        inputs = tuple(float(g.value[i]) for i in self.nodes)  # type: ignore[arg-type]
        try:
            st = self._evaluate(0, inputs)
        except MathError as e:
            self.stopped, self.error = "error", e
            raise
        self.start = self._last = self._step(st)
        self.trace = [(0, st.value)]
        yield self.start
        cap, every, n = self._chunk_size(), self.every, self.steps
        # The trace is kept only for a plot, and at most about 4 * samples points
        # of it (a run of 100 million steps would fill the memory).
        spacing = max(1, n // (4 * self.samples)) if self.samples else 0
        try:
            while st.k < n:
                target = min(n, (st.k // every + 1) * every)
                # Up to the update before the one to report, in chunks ...
                while st.k < target - 1:
                    start = st
                    st, stopped = self._advance(st, min(cap, target - 1 - st.k))
                    if stopped:  # --tol: run again to the update before, to report its change
                        end = st.k
                        st = start if end - 1 == start.k else self._advance(start, end - 1 - start.k)[0]
                        target = end
                        break
                    self._last = st  # made into a Step only when asked for
                    if self.samples and st.k - self.trace[-1][0] >= spacing:
                        self.trace.append((st.k, st.value))
                    if self.progress:
                        self.progress(st.k)
                # ... then that one update alone, so its change can be reported.
                prev = st
                st, stopped = self._advance(prev, 1)
                self._last = step = self._step(st, prev)
                if self.samples and (st.k - self.trace[-1][0] >= spacing or st.k == n or stopped):
                    self.trace.append((st.k, st.value))
                if self.progress:
                    self.progress(st.k)
                if stopped:
                    self.stopped = "tol"
                    yield step
                    return
                yield step
        except _Failure as f:
            if self.last is None or self.last.k != f.good.k:
                self._last = f.good
            self.stopped, self.error = "error", f.error
            raise f.error from None
        self.stopped = "steps"

    @property
    def last(self) -> Step | None:
        """The last good state reached."""
        if isinstance(self._last, _State):
            self._last = self._step(self._last)
        return self._last

    def run(self) -> Step:
        """Run to the end; the last step (MathError at a failing step)."""
        for _ in self:
            pass
        assert self.last is not None
        return self.last

    def result(self) -> Result:
        """The full forward and backward pass at the last state reached, with notes,
        as the calculator prints it."""
        view = self._view
        state = self.last.inputs if self.last else {n: self.graph.value[i] for n, i in zip(self.names, self.nodes)}
        for name, i in zip(self.names, self.nodes):
            view.value[i] = state[name]
        kinks: list[int] = []
        values = forward(view, kinks)
        grads = backward(view, values, self.output)
        return Result(view, values, grads, self.output, self.label, _notes(view, values, grads, kinks))


# -- compiling the loop ---------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORDS = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")


def loop_source(asc: Ascent) -> tuple[str, int]:
    """The chunk function's source and its number of lines in the loop:

        def _chunk(_n, _p, <inputs>, <gradients of the moving inputs>):
            for _k in range(_n):
                <input> += step * <gradient>      (each moving input)
                <forward lines>                   (nodes that depend on an input)
                <backward lines>
                _c = 0.0 * <output> * <absorbing args>
                if _c: stop (non-finite somewhere: the interpreter replays the chunk)
                if abs(<output> - _p) < tol: stop    (with --tol)
                _p = <output>
            return <updates done>, <status>, <output>, (<inputs>), (<gradients>)
    """
    from .codegen import PYTHON_RESERVED, generate, literal
    from .ops import HELPERS

    g, out = asc.graph, asc.output
    code = generate(g, out, PYTHON_RESERVED | _LOOP_NAMES | frozenset(REUSED))
    input_grads = {code.grad_names[i] for _, i in code.inputs if i in code.grad_names}
    value = code.value_of(out)

    # Backward lines, simplified without changing a bit: x * 1.0 and 1.0 * x are x,
    # (-1.0) * x is -x, and `dq = dt` needs no variable of its own.
    alias: dict[str, str] = {}
    backward_lines: list[str] = []
    # `* 1.0` also turns an int (abs's slope is a difference of booleans) into a float.
    float_partial: dict[tuple[int, str], bool] = {}
    for i in range(len(g)):
        if g.kind[i] == OP and i in code.grad_names:
            op, args = g.op[i], g.args[i]
            flags = float_partials(op, len(args))
            for k, a in enumerate(args):
                if a in code.grad_names:
                    float_partial[i, code.grad_names[a]] = float_partial.get((i, code.grad_names[a]), True) and flags[k]
    for line in code.backward:
        target = line.target
        mine = code.grad_names.get(line.node)
        if line.node == out and line.expr == "1.0" and not line.add:
            term = "1.0"
        elif mine and line.expr.endswith(" * " + mine):
            local = line.expr[:-len(" * " + mine)]
            upstream = alias.get(mine, mine)
            if upstream == "1.0" and float_partial[line.node, line.target]:
                term = local
            elif local in ("1.0", "(1.0)"):
                term = upstream
            elif local == "(-1.0)":
                term = "-" + upstream
            else:
                term = "%s * %s" % (local, upstream)
        else:
            term = line.expr
        is_input_grad = target in input_grads
        if line.add:
            if target in alias:
                backward_lines.append("%s = %s + (%s)" % (target, alias.pop(target), term))
            else:
                backward_lines.append("%s += %s" % (target, term))
        elif not is_input_grad and (term == "1.0" or _IDENT.match(term)):
            alias[target] = term
        else:
            backward_lines.append("%s = %s" % (target, term))

    hoisted = ["%s = %s" % (l.target, fewer_calls(l.expr)) for l in code.forward if not g.needs[l.node]]
    forward_lines = ["%s = %s" % (l.target, l.expr) for l in code.forward if g.needs[l.node]]

    # What to check each step: the output and every argument an op could absorb.
    checks: list[str] = []
    if g.kind[out] != CONST:
        checks.append(value)
    checked = set(checks)
    last = [l for l in forward_lines if l.startswith(value + " = ")]
    for l in code.forward:
        i = l.node
        if not g.needs[i]:
            continue
        args = g.args[i]
        for a, absorbs in zip(args, absorbing(g.op[i], len(args))):
            if absorbs and g.needs[a] and code.names[a] not in checked:
                checks.append(code.names[a])
                checked.add(code.names[a])

    sign = "-=" if asc.descend else "+="
    step = literal(asc.step_size)
    names = [code.names[i] for i in asc.nodes]
    grads = [code.grad_names.get(i, "0.0") for i in asc.nodes]
    moving = [(names[j], grads[j]) for j in asc.moving]
    in_loop, after = _split_backward(backward_lines, {d for _, d in moving})
    # An output that finite arguments keep finite (sig, tanh) and that nothing in the
    # loop reads is computed once, after it (the hand-written loop never computes its loss):
    # its arguments are checked each step, so its being finite is known.
    if (last and asc.tol is None and total(g.op[out], len(g.args[out]))
            and all(g.kind[a] == CONST or code.names[a] in checked for a in g.args[out])
            and not any(value in _WORDS.findall(l) for l in forward_lines + in_loop if l not in last)):
        forward_lines = [l for l in forward_lines if l not in last]
        checks.remove(value)
        after = last + after
    body = ["%s %s %s * %s" % (n, sign, step, d) for n, d in moving]
    body += forward_lines + in_loop
    result = "%s, (%s%s), (%s%s)" % (value, ", ".join(names), "," if len(names) == 1 else "",
                                     ", ".join(grads), "," if len(grads) == 1 else "")
    # 0.0 * v is 0 for every finite v and nan otherwise; in groups, since one long
    # product would nest too deep for Python's compiler.
    for c in range(0, len(checks), 64):
        body.append("_c = %s" % " * ".join(["0.0" if c == 0 else "_c"] + checks[c:c + 64]))
    if checks:
        body += ["if _c:", "    _s = 1", "    break"]
    if asc.tol is not None:
        body += ["if abs(%s - _p) < %s:" % (value, literal(asc.tol)), "    _s = 2", "    break",
                 "_p = %s" % value]

    # The lines after the loop are inlined with the loop's, so a value they use is counted.
    # Backward values used once are inlined too (`dt4 = (1.0 - h0 * h0) * (v0 * de)`,
    # as the tutorials write it), but never an input's gradient, which the loop returns.
    temps = [l.target for l in code.forward if g.needs[l.node] and l.node != out]
    temps += [t for t in (l.partition(" = ")[0] for l in in_loop if " = " in l)
              if t not in input_grads]
    lines = [fewer_calls(line) for line in inline(body + after, temps)]
    body, after = lines[:len(lines) - len(after)], lines[len(lines) - len(after):]
    text = "\n".join(hoisted + body + after)
    # The op table's functions as parameters with defaults: local names are the fastest.
    # (HELPERS, not NAMESPACE: eval puts __builtins__ into NAMESPACE.)
    used = sorted(set(_WORDS.findall(text)) & set(HELPERS))
    params = ["_n", "_p"] + names + [d for _, d in moving] + ["%s=%s" % (f, f) for f in used]
    src = ["def _chunk(%s):" % ", ".join(params)]
    src += ["    " + l for l in hoisted]
    src.append("    _s = 0")
    src.append("    for _k in range(_n):")
    src += ["        " + l for l in body or ["pass"]]
    if after:
        # The gradients nothing in the loop needs (the frozen inputs'), once, at the
        # state the chunk ends in: the same lines on the same values as in the loop.
        src.append("    _k = _n - 1 if _s == 0 else _k")
        src += ["    " + l for l in after]
        src.append("    return _k + 1, _s, " + result)
    else:
        src.append("    else:")
        src.append("        return _n, 0, " + result)
        src.append("    return _k + 1, _s, " + result)
    return "\n".join(src) + "\n", max(1, len(body))


def _split_backward(lines: list[str], wanted: set[str]) -> tuple[list[str], list[str]]:
    """The backward lines the moving inputs' gradients need (for the loop), and
    the rest (the frozen inputs' gradients and what only they need), each in order.
    Walked from the end: a gradient is needed when a needed line reads it."""
    targets = {line.partition(" ")[0] for line in lines}
    needed = set(wanted)
    keep = [False] * len(lines)
    for k in range(len(lines) - 1, -1, -1):
        target, _, expr = lines[k].partition(" ")
        if target in needed:
            keep[k] = True
            needed.update(w for w in _WORDS.findall(expr) if w in targets)
    return ([l for l, kept in zip(lines, keep) if kept],
            [l for l, kept in zip(lines, keep) if not kept])


def compile_loop(asc: Ascent, live_ops: int) -> tuple[Callable | None, int]:
    """The compiled chunk function, or None when the graph is too big for it."""
    from .ops import NAMESPACE
    if live_ops > _MAX_COMPILED_OPS:
        return None, 1
    src, lines = loop_source(asc)
    namespace: dict[str, Any] = dict(NAMESPACE)
    exec(compile(src, "<gradcli step loop>", "exec"), namespace)  # generated from the validated graph only
    return namespace["_chunk"], lines


def ascend(graph: Graph, step: float, steps: int = 1, **options) -> Ascent:
    """The step loop of `graph` (see Ascent); iterate it for the steps."""
    return Ascent(graph, step, steps, **options)


__all__ = ["Ascent", "Step", "ascend", "output_node", "absorbing", "loop_source", "INPUT"]
