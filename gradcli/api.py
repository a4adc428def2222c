"""The Python API: what `import gradcli` offers, and all the command line uses.

>>> import gradcli
>>> r = gradcli.grad("sig(a*x + b*y + c)", a=1, b=2, c=-3, x=-1, y=3)
>>> round(r.value, 4)
0.8808
>>> {name: round(d, 3) for name, d in r.gradients.items()}
{'a': -0.105, 'x': 0.105, 'b': 0.315, 'y': 0.21, 'c': 0.105}
>>> [(n.label, n.op, round(n.value, 4)) for n in r.nodes][-3:]
[('c', 'input', -3.0), ('a*x + b*y + c', 'add', 2.0), ('sig(a*x + b*y + c)', 'sig', 0.8808)]

Compile once, evaluate at many bindings (no re-parsing, no rebuilding):

>>> p = gradcli.Program("x*y + sin(x)")
>>> [round(p(x=x, y=2).gradients["x"], 4) for x in (0.0, 1.0, 2.0)]
[3.0, 2.5403, 1.5839]

Mistakes raise the classes of `gradcli.errors`, with the place:

>>> try:
...     gradcli.grad("log(x - 3)", x=1)
... except gradcli.MathError as e:
...     print(e.position, e.message)
(1, 1) log(x - 3): log needs an argument above 0 (x - 3 = -2)

The step loop, gradient ascent one update at a time: iterate it for
`gradcli.steps.Step` records (k = 0 is the starting point):

>>> neuron = dict(a=1, b=2, c=-3, x=-1, y=3)
>>> for s in gradcli.ascend("sig(a*x + b*y + c)", 0.01, 2, bindings=neuron):
...     print(s.k, round(s.value, 4), round(s.inputs["a"], 4))
0 0.8808 1.0
1 0.8826 0.999
2 0.8843 0.9979
"""
from __future__ import annotations

import copy
import math
from operator import countOf
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .arguments import short as _short, to_float as _float
from .errors import InputError, Phrase, ProgramError, Source

if TYPE_CHECKING:
    from .engine import Result
    from .records import Node, nodes
    from .graph import Graph
    from .steps import Ascent

__all__ = ["Node", "Program", "ascend", "compile", "evaluate", "grad", "nodes"]


def __getattr__(name: str) -> object:
    # Node and nodes live in gradcli/records.py, loaded only when asked for.
    if name in ("Node", "nodes"):
        from . import records as module
        return getattr(module, name)
    raise AttributeError("module 'gradcli.api' has no attribute %r" % name)


def _source(text: str | Source, name: str) -> Source:
    if isinstance(text, Source):
        return text
    if not isinstance(text, str):
        raise TypeError("the program must be a str (its text) or a gradcli Source, not %s"
                        % type(text).__name__)
    if not isinstance(name, str):
        raise TypeError("name must be a str (the program's name in messages), not %s"
                        % type(name).__name__)
    return Source(text, name)


def _number(name: str, value: object) -> float:
    """A binding's value as a float, or an InputError saying what is wrong."""
    if value.__class__ is float and -math.inf < value < math.inf:  # type: ignore[operator]
        return value  # type: ignore[return-value]  # the common case, first
    if isinstance(value, (list, tuple)) or type(value).__module__ == "numpy" and getattr(value, "ndim", None):
        return _array(name, value)  # type: ignore[return-value]
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float)):
        try:
            if isinstance(value, (bool, str, bytes)):
                raise TypeError
            value = _float(value)
        except (TypeError, ValueError):
            raise InputError("the value of %s is not a number: %r" % (name, value),
                             hint="pass a float, as in %s=1.5" % name) from None
    x = _float(value)
    if not math.isfinite(x):
        raise InputError("the value of %s is %s, not a finite number" % (name, _short(value)),
                         hint="values must lie between -1.8e308 and 1.8e308")
    return x


def _array(name: str, value: object) -> object:
    """An array binding's value as floats, or an InputError."""
    from .arrayops import ShapeError, as_array
    import numpy as np
    try:
        x = as_array(value)
    except ShapeError as e:
        raise InputError("the value of %s is %s" % (name, e), hint="give every row as many elements") from None
    if not np.all(np.isfinite(x)):
        raise InputError("the value of %s holds a number that is not finite" % name,
                         hint="values must lie between -1.8e308 and 1.8e308")
    return x


def _bindings(bindings: object) -> Mapping[str, object]:
    """`bindings` as a mapping of names, or a TypeError saying what it takes."""
    if bindings is None:
        return {}
    if not isinstance(bindings, Mapping):
        raise TypeError("bindings must be a mapping of input names to numbers, as in "
                        "{'x': 1.5}, not %s" % type(bindings).__name__)
    for k in bindings:
        if not isinstance(k, str):
            raise TypeError("bindings must be keyed by input names (str), not %r" % (k,))
    return bindings


def _numbers(bindings: Mapping[str, object] | None) -> dict[str, float]:
    return {k: _number(k, v) for k, v in _bindings(bindings).items()}


def compile(text: str | Source, bindings: Mapping[str, float] | None = None,
            name: str = "<expr>", *, seed: int = 0) -> "Graph":
    """Parse a program and build its graph; `bindings` override its own.

    Every input an output depends on must be bound; `Program` is the form
    that leaves inputs open until evaluation.
    """
    from .frontend import build
    return build(_source(text, name), _numbers(bindings), seed=seed)


def evaluate(text: str | Source, bindings: Mapping[str, float] | None = None,
             name: str = "<expr>", *, seed: int = 0) -> "list[Result]":
    """Forward and backward passes: one Result per output of the program.

    >>> [r.label for r in evaluate("q = x + 1; q*q; q/2", {"x": 3})]
    ['q*q', 'q/2']
    """
    from .engine import evaluate as run
    return run(compile(text, bindings, name, seed=seed))


def grad(text: str | Source, /, **bindings: float) -> "Result":
    """The first output of `text`, with its value, gradients and nodes.

    >>> r = grad("x = 2; y = x*x; z = y + y")
    >>> r.value, r.gradients
    (8.0, {'x': 8.0})
    """
    return evaluate(text, bindings)[0]


def ascend(program: "str | Source | Program", step: float, steps: int = 1, *,
           bindings: Mapping[str, float] | None = None, output: str | None = None,
           descend: bool = False, freeze: str | Iterable[str] = (), every: int = 1,
           tol: float | None = None, name: str = "<expr>") -> "Ascent":
    """Gradient ascent on one output: `steps` updates of every input by `step`
    times its gradient, all inputs at once (`descend=True` subtracts).

    The loop is an iterable of `gradcli.steps.Step` records: k = 0 (the
    starting point), then every `every`-th update and the last one. Each has
    `.value` (the output after k updates), `.inputs` and `.gradients` (dicts by
    input name) and, for k > 0, `.change` and `.predicted` (the change the
    gradient predicted, ±step·|grad|²). Iterating again starts again from
    the same bindings. After a run the loop has `.start`, `.last` (the last
    good state, also after an error), `.stopped` ("steps", "tol" or "error")
    and `.result()` (the full Result at `.last`); `.run()` runs to the end
    and returns the last step.

    `program` is a program's text or a `Program`; `bindings` bind its inputs;
    `output` picks an output by label or name (default: the first);
    `freeze` names inputs that stay put (a list, or "x,y"); `tol` stops
    early when the output changes by less than tol. A domain error or
    overflow at some step raises MathError naming the step.

    >>> loop = ascend("(x-3)^2 + (y+1)^2", 0.1, 200, bindings={"x": 0, "y": 0}, descend=True)
    >>> last = loop.run()
    >>> last.k, round(last.value, 12), round(last.inputs["x"], 6), round(last.inputs["y"], 6)
    (200, 0.0, 3.0, -1.0)
    >>> first = next(iter(ascend("x*x", 0.5, bindings={"x": 1})))
    >>> first.k, first.value, first.gradients
    (0, 1.0, {'x': 2.0})
    """
    if isinstance(program, Program):
        return program.ascend(step, steps, bindings=bindings, output=output, descend=descend,
                              freeze=freeze, every=every, tol=tol)
    return _ascent(compile(program, bindings, name), step, steps, output, descend, freeze, every, tol)


def _ascent(graph: "Graph", step: float, steps: int, output: str | None, descend: bool,
            freeze: str | Iterable[str], every: int, tol: float | None) -> "Ascent":
    if graph.arrays:  # numpy's own loop (tensorsteps.py), with the arguments checked as Ascent does
        from .arguments import label, names, real, whole
        from .tensorsteps import ArrayAscent
        return ArrayAscent(  # type: ignore[return-value]  # the same interface
            graph, real("the step size", step, hint=Phrase("as in {step=0.01}")),
            whole("the number of steps", steps, 0), output=label("output", output), descend=bool(descend),
            freeze=names("freeze", freeze), every=whole("every", every, 1),
            tol=None if tol is None else real("the tolerance", tol, hint=Phrase("as in {tol=1e-9}")))
    from .steps import Ascent  # it checks its own arguments (gradcli/arguments.py)
    return Ascent(graph, step, steps, output=output, descend=descend, freeze=freeze, every=every, tol=tol)


class Program:
    """A program parsed and built once, then evaluated at any bindings.

    Inputs left unbound by the program are bound at each evaluation; the
    program's own `name = number` lines are defaults that bindings override.

    >>> p = Program("q = a*x + b; sig(q)")
    >>> p.inputs, p.outputs
    (['a', 'x', 'b'], ['sig(q)'])
    >>> r = p(a=1, x=2, b=-1)
    >>> round(r.value, 4), {k: round(v, 4) for k, v in r.gradients.items()}
    (0.7311, {'a': 0.3932, 'x': 0.1966, 'b': 0.1966})
    >>> p(a=1, x=2)
    Traceback (most recent call last):
    ...
    gradcli.errors.ProgramError: no value for input b
    """

    def __init__(self, text: str | Source, name: str = "<expr>",
                 bindings: Mapping[str, float] | None = None):
        from .frontend import build
        self._bindings = _numbers(bindings)
        self._graph = build(_source(text, name), self._bindings, open_inputs=True, keep_scope=True)
        self._graph.functions()  # compile each op's templates now, once
        self._fast: _Compiled | None = None
        self._calls = 0

    @property
    def source(self) -> Source:
        return self._graph.source

    @property
    def inputs(self) -> list[str]:
        """The input names, in order of first appearance."""
        return list(self._graph.inputs)

    @property
    def outputs(self) -> list[str]:
        """The outputs' labels, in program order."""
        return [label for label, _ in self._graph.outputs]

    @property
    def defaults(self) -> dict[str, float]:
        """The inputs the program binds itself (`x = 3`), with their values."""
        g = self._graph
        return {n: v for n, i in g.inputs.items() if (v := g.value[i]) is not None}

    def bind(self, bindings: Mapping[str, float] | None = None) -> "Graph":
        """A copy of the graph with these input values: only the values are
        copied; structure and compiled functions are shared."""
        given = _bindings(bindings)
        inputs = self._graph.inputs
        if any(name not in inputs for name in given):
            # A name the outputs do not use (it gets a gradient of 0), or one the program
            # both reads and assigns (`alpha /= w`): the graph grad() and the command line
            # build, so that all three agree; a name only computed is an error there too.
            from .frontend import build
            return build(self.source, {**self._bindings, **{n: _number(n, v) for n, v in given.items()}})
        g = copy.copy(self._graph)
        g.value = value = list(g.value)
        for name, v in given.items():
            value[inputs[name]] = _number(name, v)
        if any(value[i] is None for i in inputs.values()):
            from .graph import check_bound
            g.inputs = dict(inputs)
            check_bound(g)  # raises the same error build() would
        return g

    def evaluate(self, bindings: Mapping[str, float] | None = None) -> "list[Result]":
        """One Result per output, at these bindings."""
        fast = self._fast
        if fast is None:
            self._calls += 1
            if self._calls >= _Compiled.after(self._graph):
                try:
                    self._fast = fast = _Compiled(self._graph)
                except (RecursionError, MemoryError, SyntaxError):  # Python's compiler gave up
                    self._calls = -(2 ** 62)  # interpret from now on
        if fast is not None:
            if bindings.__class__ is dict:
                given = fast.takes(bindings)  # type: ignore[arg-type]
                if given is not None:
                    results = fast(self._graph, given)
                    if results is not None:
                        return results
            g = self.bind(bindings)
            if g.args is self._graph.args:  # not a graph built anew for names it does not use
                results = fast(g, None)
                if results is not None:
                    return results
        else:
            g = self.bind(bindings)
        from .engine import evaluate as run
        return run(g)  # the reference: it also says where and why a program fails

    def __call__(self, *args: object, **bindings: float) -> "Result":
        """The first output at these bindings."""
        if args:
            raise TypeError("a Program takes its bindings by name, as in p(x=1.5), or as a mapping, "
                            "as in p.evaluate({'x': 1.5}); not %s" % ", ".join(type(a).__name__ for a in args))
        return self.evaluate(bindings)[0]

    def ascend(self, step: float, steps: int = 1, *, bindings: Mapping[str, float] | None = None,
               output: str | None = None, descend: bool = False,
               freeze: str | Iterable[str] = (), every: int = 1,
               tol: float | None = None) -> "Ascent":
        """The step loop at these bindings: see `gradcli.ascend`.

        >>> p = Program("w*x")
        >>> [(s.k, s.inputs["w"]) for s in p.ascend(0.5, 2, bindings={"w": 1, "x": 2}, freeze="x")]
        [(0, 1.0), (1, 2.0), (2, 3.0)]
        """
        return _ascent(self.bind(bindings), step, steps, output, descend, freeze, every, tol)

    def __repr__(self) -> str:
        return "Program(%r)" % self.source.text


def _getter(keys: list) -> "Callable[[Any], tuple[object, ...]]":  # type: ignore[type-arg]
    """x -> (x[k] for each k), a tuple (itemgetter gives a bare item for one key)."""
    from operator import itemgetter
    if len(keys) == 1:
        key = keys[0]
        return lambda x: (x[key],)
    return itemgetter(*keys) if keys else lambda x: ()


class _Compiled:
    """A program's straight-line code (codegen.lean), generated once, and the
    Results it makes: the interpreter's, bit for bit (tests/test_fast_paths.py).
    None where the interpreter has something to say (a domain error, a slope
    error, a value or gradient out of range, a kink): the interpreter then
    runs, and says it."""

    # Generating and compiling the code costs 15 to 60 interpreted evaluations,
    # more the bigger the program (Python's compiler): one evaluation is
    # interpreted (it may be the only one), and a big program's code waits
    # for a number of evaluations that grows with it.
    PER_EVALUATION = 100   # live ops: a program of 2,000 is compiled at its 20th evaluation
    MOST = 100_000         # live ops; Python's compiler takes seconds and much memory beyond

    @classmethod
    def after(cls, g: "Graph") -> float:
        """After how many evaluations of g its code pays off."""
        if g.arrays:  # numpy does the work: tensor.py's plan is made once already
            return math.inf
        ops = sum(1 for op, live in zip(g.op, g.live) if op is not None and live)
        return max(2, ops // cls.PER_EVALUATION) if ops <= cls.MOST else math.inf

    def __init__(self, g: "Graph"):
        from .codegen import lean
        from .engine import _notes
        self._run = lean(g)
        self._full: "Callable[..., Any] | None" = None  # codegen.evaluator(g), made when first needed
        self.graph = g
        self._count = len(g.inputs)
        self.names = list(g.inputs)
        self.gradients = dict.fromkeys(self.names, 0.0)
        self._defaults = {n: g.value[i] for n, i in g.inputs.items() if g.value[i] is not None}
        # The inputs' values in order, from bindings or from a graph's values, at C speed.
        self._values = _getter(list(g.inputs))
        self._values_of = _getter(list(g.inputs.values()))
        # With no kink (those go to the interpreter), a Result's notes are the program's own.
        self._notes = _notes(g, [], [], []) if g.notes or g.backward else None
        self._outputs = list(enumerate(g.outputs))
        self._result = _result_class()

    def takes(self, bindings: "dict[str, object]") -> "tuple[object, ...] | None":
        """Every input's value, in order, when these bindings are what bind()
        would take as they are (inputs only, every open input among them, each
        a finite float); None otherwise."""
        n = self._count
        if len(bindings) != n:  # the program's own values fill in; a name it lacks shows in the count
            bindings = {**self._defaults, **bindings}
            if len(bindings) != n:
                return None
        try:
            values = self._values(bindings)
        except KeyError:  # an open input left out
            return None
        if countOf(map(type, values), float) != n:
            return None
        # A nan or an infinity on the way shows in the sum (so may an overflow: the interpreter then runs).
        return values if -math.inf < sum(values) < math.inf else None  # type: ignore[arg-type]

    def __call__(self, g: "Graph", given: "tuple[object, ...] | None") -> "list[Result] | None":
        """The Results at g's values (a bound copy of the program's graph), or
        at the program's graph with the inputs' values `given` (from takes)."""
        bound = None
        if given is None:
            given, bound = self._values_of(g.value), g
        try:
            got = self._run(given, g.value)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if got is None:
            return None
        values, grads = got
        lazy = _Lazy(self, given, bound)
        notes, cls = self._notes, self._result
        new = object.__new__
        results = []
        for k, (label, out) in self._outputs:
            r: Any = new(cls)
            r.__dict__.update(_lazy=lazy, _value=values[k], _gradients=grads[k], _k=k, output=out, label=label,
                              notes=[] if notes is None else list(notes))
            results.append(r)
        return results

    def full(self, given: "tuple[object, ...]") -> "tuple[list, list, tuple]":  # type: ignore[type-arg]
        """(g.value with `given`, every node's value, every output's list of gradients)."""
        if self._full is None:
            from .codegen import evaluator
            self._full = evaluator(self.graph)
        bound, values, grads, _, _ = self._full(self.graph.value, given)
        return bound, values, grads


class _Lazy:
    """The lists of every node's value and gradient of one evaluation, made by
    the full straight-line code when a Result is first asked for them."""
    __slots__ = ("compiled", "given", "graph", "lists")

    def __init__(self, compiled: _Compiled, given: "tuple[object, ...]", graph: "Graph | None"):
        self.compiled, self.given, self.graph = compiled, given, graph
        self.lists: "tuple[Graph, list, tuple] | None" = None  # type: ignore[type-arg]

    def get(self) -> "tuple[Graph, list, tuple]":  # type: ignore[type-arg]
        if self.lists is None:
            bound, values, grads = self.compiled.full(self.given)
            g = self.graph
            if g is None:  # copy.copy(the program's graph), with these values
                g = object.__new__(self.compiled.graph.__class__)
                g.__dict__.update(self.compiled.graph.__dict__)
                g.value = bound
            self.lists = (g, values, grads)
        return self.lists


def _lazy_field(index: int) -> property:
    def get(self: Any) -> Any:
        d = self.__dict__
        if "_lazy" in d:
            lists = d["_lazy"].get()
            d["graph"], d["values"], d["grads"] = lists[0], lists[1], lists[2][d["_k"]]
            del d["_lazy"]
        return d[("graph", "values", "grads")[index]]

    def set_(self: Any, value: Any) -> None:
        if "_lazy" in self.__dict__:
            get(self)
        self.__dict__[("graph", "values", "grads")[index]] = value
    return property(get, set_)


_RESULT: list[type] = []


def _result_class() -> type:
    """Result with its lists made when first asked for (engine.py is loaded only when used)."""
    if _RESULT:
        return _RESULT[0]
    from .engine import Result

    class _Result(Result):
        """A Result of Program's straight-line code: its value and gradients
        at once, the graph and the lists of every node's value and gradient
        made when first asked for (the same bits as the interpreter's)."""
        graph = _lazy_field(0)  # type: ignore[assignment]
        values = _lazy_field(1)  # type: ignore[assignment]
        grads = _lazy_field(2)  # type: ignore[assignment]

        @property
        def value(self) -> float:
            d = self.__dict__
            value: float = d["_value"] if "_lazy" in d else d["values"][self.output]
            return value

        @property
        def gradients(self) -> dict[str, float]:
            d = self.__dict__
            if "_lazy" in d:  # a copy of a dict with these keys, updated: no resizing on the way
                compiled = d["_lazy"].compiled
                grads: dict[str, float] = compiled.gradients.copy()
                grads.update(zip(compiled.names, d["_gradients"]))
                return grads
            gradients: dict[str, float] = Result.gradients.fget(self)  # type: ignore[attr-defined]
            return gradients
    _Result.__qualname__ = _Result.__name__ = "Result"
    _RESULT.append(_Result)
    return _Result
