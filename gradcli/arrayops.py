"""The array operations, one record each, and the scalar ops made elementwise.

An array program's nodes hold numpy arrays. Each op here states, once: its
value and the gradient it hands each argument (its vector-Jacobian product)
as code templates over numpy, the rule as people write it (for --explain),
and its static parameters (an axis, keepdims), which are part of the op:
`sum(x, axis=0)` is the op `sum{axis=0,keepdims=False}`.

Templates are Python expressions over `{0}`, `{1}`, ... (the arguments),
`{out}` (the op's value), `{g}` (the incoming gradient) and the names of its
parameters; they may call `np` and the helpers in `_HELPERS`.

The elementwise functions and operators are the scalar op table's own
(ops.py): `elementwise(op, n)` turns its templates into numpy code (a
conditional becomes np.where, a comparison a float), so the scalar and the
array road share one source of math. numpy is imported here, and this
module only when a program uses arrays: scalar start-up never pays for it.
"""
from __future__ import annotations

import ast as pyast
import math
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Callable

import numpy as np

from .ops import NAMESPACE, OPS, Op


class ShapeError(ValueError):
    """Arguments whose shapes do not fit the op; the message says how."""


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """The gradient of a broadcast argument: g summed back to `shape`."""
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _axes(x: Any, axis: Any) -> tuple[int, ...]:
    ndim = np.ndim(x)
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not -ndim <= a < max(ndim, 1) or ndim == 0 and a not in (0, -1):
            raise ShapeError("axis %d does not exist: the argument has %d dimension%s (shape %s)"
                             % (a, ndim, "" if ndim == 1 else "s", shape_text(np.shape(x))))
    return tuple(a % max(ndim, 1) for a in axes) if ndim else ()


def _expand(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """g (the shape of a reduction of x) with the reduced axes put back as 1s."""
    if keepdims:
        return g
    return np.expand_dims(g, _axes(x, axis)) if np.ndim(x) else g


def _spread(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    return np.broadcast_to(_expand(g, x, axis, keepdims), np.shape(x)).copy()


def _count(x: Any, axis: Any) -> int:
    return int(np.prod([np.shape(x)[a] for a in _axes(x, axis)])) if np.ndim(x) else 1


def _reduce(fn: Callable, x: Any, axis: Any, keepdims: bool) -> Any:
    _axes(x, axis)
    if np.size(x) == 0:
        raise ShapeError("the argument is empty")
    return fn(x, axis=axis, keepdims=keepdims)


def _ties(x: Any, out: Any, axis: Any, keepdims: bool) -> Any:
    """max and min: 1 at the chosen elements, shared evenly among ties."""
    hit = (np.asarray(x) == _expand(out, x, axis, keepdims)).astype(float)
    return hit / hit.sum(axis=_axes(x, axis) or None, keepdims=True)


def _tie_kink(x: Any, out: Any, axis: Any, keepdims: bool) -> Any:
    hit = np.asarray(x) == _expand(out, x, axis, keepdims)
    return hit.sum(axis=_axes(x, axis) or None, keepdims=keepdims) > 1


def _matmul(a: Any, b: Any) -> Any:
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("@ needs arrays of at least one dimension, not a number (shapes %s and %s); "
                         "use * to scale" % (shape_text(a.shape), shape_text(b.shape)))
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError("shapes %s and %s do not fit a matrix product: %d columns against %d rows"
                         % (shape_text(a.shape), shape_text(b.shape), inner_a, inner_b))
    return a @ b


def _dot(a: Any, b: Any) -> Any:
    return a * b if np.ndim(a) == 0 or np.ndim(b) == 0 else _matmul(a, b)


def _matmul_grad(g: Any, a: Any, b: Any, k: int) -> Any:
    """The gradient of a @ b in argument k: g @ b.T (k = 0) or a.T @ g (k = 1)."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 2 and b.ndim == 2 and g.ndim == 2:  # the common case, without detours
        return g @ b.T if k == 0 else a.T @ g
    return _matmul_grads(g, a, b)[k]


def _matmul_grads(g: Any, a: Any, b: Any) -> tuple[Any, Any]:
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0 or a.ndim == b.ndim == 1:
        return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    da = g2 @ np.swapaxes(b2, -1, -2)
    db = np.swapaxes(a2, -1, -2) @ g2
    if a.ndim == 1:
        da = da[..., 0, :]
    if b.ndim == 1:
        db = db[..., :, 0]
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def _stack(*xs: Any) -> Any:
    shapes = {np.shape(x) for x in xs}
    if len(shapes) > 1:
        raise ShapeError("the elements of a list must all have one shape (ragged list): %s"
                         % ", ".join(shape_text(s) for s in sorted(shapes, key=len)))
    return np.array(xs, dtype=float)


def _index(x: Any, idx: tuple) -> Any:
    x = np.asarray(x)
    key = tuple(slice(*i) if isinstance(i, tuple) else i for i in idx)
    if len(key) > x.ndim:
        raise ShapeError("%d indices for an array of %d dimension%s (shape %s)"
                         % (len(key), x.ndim, "" if x.ndim == 1 else "s", shape_text(x.shape)))
    for k, (i, n) in enumerate(zip(key, x.shape)):
        if isinstance(i, int) and not -n <= i < n:
            raise ShapeError("index %d is out of range for axis %d of length %d (shape %s)"
                             % (i, k, n, shape_text(x.shape)))
    return x[key]


def _index_grad(g: Any, x: Any, idx: tuple) -> Any:
    z = np.zeros(np.shape(x))
    z[tuple(slice(*i) if isinstance(i, tuple) else i for i in idx)] = g
    return z


def _shape(*args: Any) -> tuple[int, ...]:
    """The shape that randn(5, 10), zeros((5, 10)) or reshape(x, 5, 10) asks for."""
    dims = []
    for a in args:
        for v in np.ravel(a):
            if not math.isfinite(v) or v != int(v) or (v < 0 and v != -1):  # nan and inf too
                raise ShapeError("a shape is whole numbers of at least 0, not %s" % _g(v))
            dims.append(int(v))
    return tuple(dims)


MAX_ELEMENTS = 2**27  # 1 GiB of doubles: randn, zeros and ones make no larger array


def _size_check(shape: tuple[int, ...]) -> None:
    # Python's integers, not floats: randn(10, 1e308) has 10**309 elements, which
    # no float holds; an axis is checked alone too, since (1e308, 0) has none.
    def big(n: int) -> str:  # 1e+30, not 31 digits (inside: --emit python copies this function)
        if n < 10**15:
            return str(n)
        exp = int(math.log10(n))  # str(n) may be refused: Python writes at most 4300 digits
        exp += (10**(exp + 1) <= n) - (10**exp > n)
        lead = "%.6g" % (n // 10**(exp - 6) / 1e6)
        return "1e+%d" % (exp + 1) if lead == "10" else "%se+%d" % (lead, exp)

    size = math.prod(shape)
    longest = max(shape, default=0)
    if size <= MAX_ELEMENTS and longest <= MAX_ELEMENTS:
        return
    shown = "(%s)" % (", ".join(map(big, shape)) + ("," if len(shape) == 1 else ""))
    if size > MAX_ELEMENTS:
        raise ShapeError("an array of shape %s has %s elements; gradcli makes arrays of up to %d"
                         % (shown, big(size), MAX_ELEMENTS))
    raise ShapeError("an array of shape %s has an axis of length %s; gradcli makes arrays of up to %d "
                     "elements, and axes no longer" % (shown, big(longest), MAX_ELEMENTS))


def _randn(rng: Any, *args: Any) -> Any:
    shape = _shape(*args)
    if -1 in shape:
        raise ShapeError("a shape is whole numbers of at least 0, not -1")
    _size_check(shape)
    return rng.standard_normal(shape)


def _full(value: float, *args: Any) -> Any:
    shape = _shape(*args)
    if -1 in shape:
        raise ShapeError("a shape is whole numbers of at least 0, not -1")
    _size_check(shape)
    return np.full(shape, value)


def _reshape(x: Any, *args: Any) -> Any:
    shape = _shape(*args)
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise ShapeError("cannot reshape %d elements (shape %s) into shape %s"
                         % (np.size(x), shape_text(np.shape(x)), shape_text(shape))) from None


def _softmax(x: Any, axis: int) -> Any:
    _axes(x, axis)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(x: Any, axis: Any, keepdims: bool) -> Any:
    _axes(x, axis)
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


def _labels(scores: Any, labels: Any) -> tuple[Any, Any]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    if s.ndim == 1:
        s = s[None, :]
        y = y.reshape(1) if y.ndim == 0 else y
    if s.ndim != 2 or y.shape != (s.shape[0],):
        raise ShapeError("cross_entropy takes scores of shape (N, C) and N labels, not scores %s and "
                         "labels %s" % (shape_text(np.shape(scores)), shape_text(np.shape(labels))))
    bad = (y != np.round(y)) | (y < 0) | (y >= s.shape[1])
    if bad.any():
        k = int(np.argmax(bad))
        raise ShapeError("label %s (element %d) is not a class: labels are whole numbers from 0 to %d"
                         % (_g(float(y[k])), k, s.shape[1] - 1))
    return s, y.astype(int)


def _cross_entropy(scores: Any, labels: Any) -> Any:
    s, y = _labels(scores, labels)
    lse = _logsumexp(s, 1, False)
    return np.mean(lse - s[np.arange(len(y)), y])


def _cross_entropy_grad(g: Any, scores: Any, labels: Any) -> Any:
    s, y = _labels(scores, labels)
    p = _softmax(s, 1)
    p[np.arange(len(y)), y] -= 1.0
    return (p * (g / len(y))).reshape(np.shape(scores))


def _g(x: float) -> str:
    return "%.6g" % x


def shape_text(shape: tuple[int, ...]) -> str:
    """(5, 10), (3,), () as numpy writes them."""
    return "(%s)" % (", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))


_HELPERS: dict[str, object] = {
    "np": np, "unbroadcast": unbroadcast, "spread": _spread, "count": _count, "reduce_": _reduce,
    "ties": _ties, "tie_kink": _tie_kink, "matmul": _matmul, "dot": _dot, "matmul_grads": _matmul_grads, "matmul_grad": _matmul_grad,
    "stack": _stack, "index": _index, "index_grad": _index_grad, "randn": _randn, "full": _full,
    "reshape": _reshape, "softmax": _softmax, "logsumexp": _logsumexp, "cross_entropy": _cross_entropy,
    "cross_entropy_grad": _cross_entropy_grad, "expand": _expand,
}


@dataclass(frozen=True)
class ArrayOp:
    """An array op with its parameters fixed: what a node of an array graph runs."""
    name: str                   # as in the table's op column and JSON
    arity: int                  # arguments (the least, when variadic)
    value: str                  # template of the value
    grads: tuple[str, ...]      # template of each argument's gradient ("" : none flows)
    rule: tuple[str, ...] = ()  # each gradient as people write it (over x, y, out, g)
    params: tuple[tuple[str, Any], ...] = ()
    symbol: str = ""
    variadic: bool = False
    kink: str = ""              # template of a boolean array, true where it is not differentiable
    convention: str = ""
    shape_args: bool = False    # arguments past the first are a shape (randn, zeros, reshape): no gradient
    random: bool = False        # draws from the random state (randn)
    source: Op | None = None    # the scalar op this one applies elementwise
    _fns: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        if not self.params:
            return self.name
        return "%s{%s}" % (self.name, ",".join("%s=%r" % kv for kv in self.params))

    def functions(self, n: int) -> tuple[Callable, tuple[Callable | None, ...], Callable | None]:
        """(value(*args), (grad_k(g, out, *args) or None, ...), kink(out, *args) or None)."""
        fns = self._fns.get(n)
        if fns is None:
            names = ["a%d" % i for i in range(n)]
            subs = dict(self.params, out="out", g="g")
            args = ", ".join(names)

            def compile_(body: str, head: str) -> Callable:
                text = body.format(*names, **{k: (v if k in ("out", "g") else repr(v)) for k, v in subs.items()},
                                   args=args)
                return eval("lambda %s: %s" % (head, text), dict(_HELPERS))

            head = ("rng, " if self.random else "") + args
            if self.shape_args:  # the shape takes no gradient
                grads: tuple[str, ...] = (self.grads + ("",) * n)[:n]
            elif self.variadic:
                grads = tuple(self.grads[0].replace("{k}", str(k)) for k in range(n))
            else:
                grads = self.grads
            fns = (compile_(self.value, head),
                   tuple(compile_(t, "g, out, " + args) if t else None for t in grads),
                   compile_(self.kink, "out, " + args) if self.kink else None)
            self._fns[n] = fns
        return fns


def _op(name: str, arity: int, value: str, grads: tuple[str, ...], rule: tuple[str, ...] = (), **kw: Any) -> ArrayOp:
    return ArrayOp(name, arity, value, grads, rule, **kw)


# The array ops, by name; parameters are filled in by `make`.
_TEMPLATES: dict[str, ArrayOp] = {op.name: op for op in (
    _op("array", 1, "stack({args})", ("{g}[{k}]",), ("g[k]",), variadic=True),
    _op("index", 1, "index({0}, {idx})", ("index_grad({g}, {0}, {idx})",), ("g scattered into zeros",)),
    _op("matmul", 2, "matmul({0}, {1})",
        ("matmul_grad({g}, {0}, {1}, 0)", "matmul_grad({g}, {0}, {1}, 1)"), ("g @ y.T", "x.T @ g"),
        symbol="@"),
    _op("dot", 2, "dot({0}, {1})",
        ("matmul_grad({g}, {0}, {1}, 0)", "matmul_grad({g}, {0}, {1}, 1)"), ("g.dot(y.T)", "x.T.dot(g)")),
    _op("T", 1, "np.transpose({0})", ("np.transpose({g})",), ("g.T",), symbol=".T"),
    _op("shape", 1, "np.array(np.shape({0}), dtype=float)", ("",), ("none: a shape is whole numbers",),
        symbol=".shape", shape_args=True),
    _op("sum", 1, "reduce_(np.sum, {0}, {axis}, {keepdims})", ("spread({g}, {0}, {axis}, {keepdims})",),
        ("g broadcast to the shape of x",)),
    _op("mean", 1, "reduce_(np.mean, {0}, {axis}, {keepdims})",
        ("spread({g}, {0}, {axis}, {keepdims}) / count({0}, {axis})",), ("g broadcast to the shape of x, / its count",)),
    _op("max", 1, "reduce_(np.max, {0}, {axis}, {keepdims})",
        ("spread({g}, {0}, {axis}, {keepdims}) * ties({0}, {out}, {axis}, {keepdims})",),
        ("g at the largest elements",), kink="tie_kink({0}, {out}, {axis}, {keepdims})",
        convention="tied elements share the gradient evenly"),
    _op("min", 1, "reduce_(np.min, {0}, {axis}, {keepdims})",
        ("spread({g}, {0}, {axis}, {keepdims}) * ties({0}, {out}, {axis}, {keepdims})",),
        ("g at the smallest elements",), kink="tie_kink({0}, {out}, {axis}, {keepdims})",
        convention="tied elements share the gradient evenly"),
    _op("reshape", 1, "reshape({args})", ("np.reshape({g}, np.shape({0}))",), ("g.reshape(x.shape)",),
        variadic=True, shape_args=True),
    _op("randn", 0, "randn(rng, {args})", (), variadic=True, shape_args=True, random=True),
    _op("zeros", 0, "full(0.0, {args})", (), variadic=True, shape_args=True),
    _op("ones", 0, "full(1.0, {args})", (), variadic=True, shape_args=True),
    _op("softmax", 1, "softmax({0}, {axis})",
        ("{out} * ({g} - np.sum({g} * {out}, axis={axis}, keepdims=True))",),
        ("out * (g - sum(g * out, axis, keepdims=True))",)),
    _op("logsumexp", 1, "logsumexp({0}, {axis}, {keepdims})",
        ("expand({g}, {0}, {axis}, {keepdims}) * np.exp({0} - expand({out}, {0}, {axis}, {keepdims}))",),
        ("g * exp(x - out)",)),
    _op("cross_entropy", 2, "cross_entropy({0}, {1})", ("cross_entropy_grad({g}, {0}, {1})", ""),
        ("(softmax(scores) - onehot(labels)) / N * g", "none: labels are data")),
)}
# Variadic ops take the gradient of argument k from one template: array's `{g}[{k}]`.
_REDUCTIONS = ("sum", "mean", "max", "min")
_DEFAULTS: dict[str, tuple[tuple[str, Any], ...]] = {
    **{r: (("axis", None), ("keepdims", False)) for r in _REDUCTIONS},
    "softmax": (("axis", -1),), "logsumexp": (("axis", None), ("keepdims", False)),
    "index": (("idx", ()),),
}
REGISTRY: dict[str, ArrayOp] = {}


def make(name: str, **params: Any) -> ArrayOp:
    """The op `name` with these parameters (the others at their defaults)."""
    base = _TEMPLATES[name]
    defaults = dict(_DEFAULTS.get(name, ()))
    unknown = set(params) - set(defaults)
    if unknown:
        raise TypeError("%s takes no parameter %s" % (name, ", ".join(sorted(unknown))))
    defaults.update(params)
    op = ArrayOp(**{**{f: getattr(base, f) for f in ("name", "arity", "value", "grads", "rule", "symbol",
                                                      "variadic", "kink", "convention", "shape_args",
                                                      "random")}, "params": tuple(defaults.items())})
    return REGISTRY.setdefault(op.key, op)


# What people call in array programs, beyond the scalar functions; each maps to
# (op name, the parameters it takes by position after its array arguments).
FUNCTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sum": ("sum", ("axis", "keepdims")), "mean": ("mean", ("axis", "keepdims")),
    "max": ("max", ("axis", "keepdims")), "min": ("min", ("axis", "keepdims")),
    "amax": ("max", ("axis", "keepdims")), "amin": ("min", ("axis", "keepdims")),
    "dot": ("dot", ()), "matmul": ("matmul", ()), "transpose": ("T", ()),
    "reshape": ("reshape", ()), "randn": ("randn", ()), "zeros": ("zeros", ()), "ones": ("ones", ()),
    "softmax": ("softmax", ("axis",)), "logsumexp": ("logsumexp", ("axis", "keepdims")),
    "cross_entropy": ("cross_entropy", ()), "array": ("array", ()),
}
# numpy's elementwise spellings of the scalar ops.
ELEMENTWISE: dict[str, str] = {"maximum": "max", "minimum": "min", "exp": "exp", "log": "log"}
# Methods: x.dot(y), x.sum(axis=0), x.reshape(5, 10) ...
METHODS = ("dot", "sum", "mean", "max", "min", "reshape", "T", "transpose")
ATTRIBUTES = ("T", "shape")


def lookup(key: str) -> ArrayOp | None:
    """The array op of a flat program's op key, or None."""
    op = REGISTRY.get(key)
    if op is None and key in _TEMPLATES:  # matmul, from the fast parser: no parameters
        op = make(key)
    return op


# --- The scalar ops, elementwise ---------------------------------------------

def _erf(x: Any) -> Any:
    return np.vectorize(math.erf, otypes=[float])(x)


def _fl(x: Any) -> Any:
    return np.asarray(x, dtype=float)


def _maximum(*xs: Any) -> Any:
    return reduce(np.maximum, xs)


def _minimum(*xs: Any) -> Any:
    return reduce(np.minimum, xs)


def _hypot(*xs: Any) -> Any:
    return reduce(np.hypot, xs)


# The names the scalar templates call, as numpy has them.
NUMPY: dict[str, object] = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2, "log10": np.log10,
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "atan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "pow": np.power, "abs": np.abs, "max": _maximum, "min": _minimum, "erf": _erf, "hypot": _hypot,
    "LN2": math.log(2.0), "LN10": math.log(10.0), "where": np.where, "fl": _fl, "np": np,
    # the op table's constants (LOG2E, ...), as they are
    **{name: v for name, v in NAMESPACE.items() if isinstance(v, float)},
}


class _Vectorize(pyast.NodeTransformer):
    """`a if c else b` -> where(c, a, b); a comparison -> a float array."""

    def visit_IfExp(self, node: pyast.IfExp) -> pyast.AST:
        self.generic_visit(node)
        return pyast.Call(pyast.Name("where", pyast.Load()), [node.test, node.body, node.orelse], [])

    def visit_Compare(self, node: pyast.Compare) -> pyast.AST:
        self.generic_visit(node)
        return pyast.Call(pyast.Name("fl", pyast.Load()), [node], [])


def vectorize(template: str) -> str:
    """A scalar op's template as numpy code."""
    tree = _Vectorize().visit(pyast.parse(template, mode="eval"))
    return pyast.unparse(pyast.fix_missing_locations(tree))


_ELEMENTWISE: dict[tuple[str, int], ArrayOp] = {}


def elementwise(op: Op, n: int) -> ArrayOp:
    """The scalar op `op` applied element by element to n arrays (numpy's
    broadcasting), each argument's gradient summed back to its shape."""
    found = _ELEMENTWISE.get((op.name, n))
    if found is None:
        grads = tuple("unbroadcast(({p}) * {{g}}, np.shape({{{k}}}))".format(p=p, k=k)
                      for k, p in enumerate(op.partial_templates(n)))
        found = _Elementwise(op.name, n, op.value_template(n), grads, op.rule_templates(n), symbol=op.symbol,
                             kink=op.kink_template(n), convention=op.convention, source=op,
                             variadic=op.variadic)
        _ELEMENTWISE[op.name, n] = found
    return found


class _Elementwise(ArrayOp):
    def functions(self, n: int) -> tuple[Callable, tuple[Callable | None, ...], Callable | None]:
        fns = self._fns.get(n)
        if fns is None:
            names = ["a%d" % i for i in range(n)]
            space = {**_HELPERS, **NUMPY}

            def compile_(body: str, head: str) -> Callable:
                text = vectorize(body.format(*names, out="out", g="g"))
                return eval("lambda %s: %s" % (head, text), space)

            args = ", ".join(names)
            fns = (compile_(self.value, args),
                   tuple(compile_(t, "g, out, " + args) for t in self.grads),
                   compile_(self.kink, "out, " + args) if self.kink else None)
            self._fns[n] = fns
        return fns


def array_form(op: "Op | ArrayOp", n: int) -> ArrayOp:
    """What a node's op runs on arrays: an array op itself; a scalar op
    elementwise, except max(x) and min(x) of one argument, which reduce."""
    if isinstance(op, ArrayOp):
        return op
    if op.variadic and n == 1 and op.name in _TEMPLATES:
        return make(op.name)
    return elementwise(op, n)


def as_array(value: Any) -> Any:
    """A binding's value (a number, nested lists, an array) as floats; ShapeError if ragged."""
    try:
        out = np.asarray(value, dtype=float)
    except (ValueError, TypeError):
        raise ShapeError("a ragged list: every row must have as many elements as the others") from None
    return out
