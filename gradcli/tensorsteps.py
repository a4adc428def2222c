"""The step loop of an array program: gradient ascent (or descent) with numpy.

Each update moves every input that is not frozen by step · its gradient
(the gradient of the sum of the output's elements), all at once, then runs
the forward and backward passes again (tensor.py). The program's other
outputs (an accuracy, say) are computed at every step and reported beside
the loss. It yields the same `Step` records as steps.Ascent, whose `inputs`
and `gradients` hold arrays.
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator

import numpy as np

from . import tensor
from .engine import ArrayResult, Result
from .errors import InputError, MathError, Phrase
from .graph import Graph
from .steps import Step, output_node


class ArrayAscent:
    def __init__(self, graph: Graph, step: float, steps: int = 1, *, output: str | None = None,
                 descend: bool = False, freeze: Iterable[str] = (), every: int = 1,
                 tol: float | None = None):
        if not math.isfinite(step) or step == 0.0:
            raise InputError("the step size must be a finite number other than 0",
                             hint=Phrase("as in {step=0.01}"))
        self.graph = g = graph
        self.label, self.output = output_node(g, output)
        self.step_size, self.steps, self.descend, self.every, self.tol = step, steps, descend, every, tol
        self.names = list(g.inputs)
        frozen = set()
        for name in freeze:
            if name not in g.inputs:
                raise InputError("cannot freeze %s: the program has no input of that name" % name,
                                 hint="the inputs are: %s" % (", ".join(self.names) or "none"))
            frozen.add(name)
        self.frozen = frozen
        self._frozen_nodes = {g.inputs[n] for n in frozen}
        used = g.reachable([self.output])
        self.moving = [n for n in self.names if n not in frozen and used[g.inputs[n]] and g.needs[g.inputs[n]]]
        self.others = [(label, node) for label, node in g.outputs if node != self.output]
        self.start: Step | None = None
        self.last: Step | None = None
        self.stopped: str | None = None
        self.error: MathError | None = None
        self.trace: list[tuple[int, float]] = []
        self._values: list = []
        self._grads: list = []

    def _evaluate(self, k: int, prev: Step | None, predicted: float | None) -> Step:
        g = self.graph
        values = tensor.forward(g)
        grads = tensor.backward(g, values, self.output, frozen=self._frozen_nodes)
        for i in g.inputs.values():  # starting values drawn once: the steps move them from there
            if g.value[i] is None:
                g.value[i] = values[i]
        self._values, self._grads = values, grads
        value = float(np.sum(values[self.output]))
        step = Step(k, value, {n: values[i] for n, i in g.inputs.items()},
                    {n: (0.0 if grads[i] is None else grads[i]) for n, i in g.inputs.items()},
                    None if prev is None else value - prev.value, predicted)
        object.__setattr__(step, "outputs", {label: float(np.sum(values[node])) for label, node in self.others})
        return step

    def __iter__(self) -> Iterator[Step]:
        g = self.graph
        gv: list = g.value  # numpy arrays, or numbers
        sign = -1.0 if self.descend else 1.0
        st = self._evaluate(0, None, None)
        for n in self.moving:  # float arrays from here on (a binding may be whole numbers)
            i = g.inputs[n]
            gv[i] = np.array(gv[i], dtype=float)
            st.inputs[n] = gv[i]
        self.start = self.last = st
        self.trace = [(0, st.value)]
        yield st
        for k in range(1, self.steps + 1):
            # The change the gradient predicts, step * |grad|^2, only for a step that is reported
            # (or that a tolerance may end on): a step in between shows nothing.
            report = self.tol is not None or k % self.every == 0 or k == self.steps
            predicted: float | None = 0.0 if report else None
            for n in self.moving:
                d = st.gradients[n]
                if predicted is not None:
                    predicted += float(np.vdot(d, d)) if np.ndim(d) else float(d) * float(d)
                i = g.inputs[n]
                # A new array, not the old one moved in place: the steps already taken
                # keep their own values (a run stopped mid-update shows the last state).
                gv[i] = np.asarray(gv[i] + (sign * self.step_size) * d)
            try:
                new = self._evaluate(k, st, None if predicted is None else sign * self.step_size * predicted)
            except MathError as e:
                self.stopped, self.error = "error", e
                raise MathError("step %d: %s" % (k, e.message), span=e.span, source=e.source, hint=e.hint) from None
            st = self.last = new
            self.trace.append((k, st.value))
            done = self.tol is not None and abs(st.change or 0.0) < self.tol
            if done or k % self.every == 0 or k == self.steps:
                yield st
            if done:
                self.stopped = "tol"
                return
        self.stopped = "steps"

    def run(self) -> Step:
        """Run to the end; the last step (MathError at a failing step)."""
        for _ in self:
            pass
        assert self.last is not None
        return self.last

    def result(self) -> Result:
        """The full Result at the last state."""
        g = self.graph
        notes = tensor.shape_note(g, self._values, self.output)
        return ArrayResult(g, self._values, self._grads, self.output, self.label, notes)
