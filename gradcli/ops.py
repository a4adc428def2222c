"""The primitive operations, one record each.

Every op states, once: its value and each local partial derivative as a code
template, how to read the partials as text, where it is not differentiable,
and what its arguments must satisfy. The evaluator, the step-loop compiler,
the explanations and the code emitters all read these same records, so they
cannot disagree.

Templates are Python expressions over `{0}`, `{1}`, ... (the arguments) and
`{out}` (the op's own value). Substituted names are always plain variables or
parenthesised numbers, so an argument may appear more than once. The names a
template may call are the ones in HELPERS below, each with the way emitted
Python and JavaScript get it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

@dataclass(frozen=True)
class Helper:
    """A name the templates may use, and how emitted code gets it."""
    value: object        # what it is to gradcli's own compiled templates
    python: str          # "math": imported from math; "builtin": Python has it; "constant": written out
    js: str | None       # the JavaScript the name is bound to; None: JavaScript has no such thing


def _from_math(names: str) -> dict[str, Helper]:
    return {name: Helper(getattr(math, name), "math", "Math." + name) for name in names.split()}


def _constant(x: float) -> Helper:
    return Helper(x, "constant", repr(x))


# JavaScript's Math has no erf, so emitted code brings its own; it agrees with
# Python's math.erf to a few units in the last place.
_JS_ERF = """function (x) {
  // erf(x) = 2/sqrt(pi) e^(-x^2) (x + 2x^3/3 + 4x^5/15 + ...): the terms are all
  // positive, so nothing cancels; from |x| = 6 on, erf is +-1 in double precision.
  var z = Math.abs(x), term = z, sum = z;
  if (z >= 6) return x > 0 ? 1 : -1;
  for (var k = 1; term > sum * 1e-17; k++) {
    term *= 2 * z * z / (2 * k + 1);
    sum += term;
  }
  var r = 1.1283791670955126 * Math.exp(-z * z) * sum;
  return x < 0 ? -r : r;
}"""


# What templates may call, for every place that compiles or emits them.
HELPERS: dict[str, Helper] = _from_math(
    "exp expm1 log log1p log2 log10 sqrt sin cos tan asin acos atan atan2 sinh cosh tanh pow hypot")
HELPERS.update(abs=Helper(abs, "builtin", "Math.abs"), max=Helper(max, "builtin", "Math.max"),
               min=Helper(min, "builtin", "Math.min"),
               erf=Helper(math.erf, "math", _JS_ERF),
               LOG2E=_constant(1.4426950408889634), LOG10E=_constant(0.4342944819032518))  # 1/ln 2, 1/ln 10
NAMESPACE: dict[str, object] = {name: h.value for name, h in HELPERS.items()}


def _args(n: int) -> list[str]:
    return ["{%d}" % i for i in range(n)]


@dataclass(frozen=True)
class Op:
    name: str                    # canonical name, as in JSON and the grammar's aliases
    arity: int                   # number of arguments (the least, when variadic)
    value: str                   # template of the value
    partials: tuple[str, ...]    # template of d value / d argument, one per argument
    rule: tuple[str, ...] = ()   # the partials as people write them (default: the templates)
    symbol: str = ""             # infix symbol, for binary operators and negation
    # What the arguments must satisfy, said in errors: a message, or
    # (condition template, message) pairs when the reason depends on the arguments.
    domain: str | tuple[tuple[str, str], ...] = ""
    slope: str | tuple[tuple[str, str], ...] = ""  # why a partial can fail where the value exists
    kink: str = ""               # template, true where the op is not differentiable
    convention: str = ""         # the derivative gradcli takes at a kink
    jumps: bool = False          # the value itself jumps at the kink (a comparison), not only its slope
    variadic: bool = False       # max, min, hypot and logsumexp take any number of arguments
    # A variadic op's templates for n arguments: n -> (value, partials, rule, kink);
    # None: max and min's (ties split the gradient evenly).
    forms: Callable[[int], tuple[str, tuple[str, ...], tuple[str, ...], str]] | None = None
    zero_division: str = ""      # what a ZeroDivisionError from the value means, said in errors
    called: bool = True          # written as a function, name(args); False: only through its syntax
    # Arguments evaluated whether or not they are chosen: the value if true
    # and the value if false of a conditional (as numpy.where evaluates both).
    branches: tuple[int, ...] = ()
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)
    # Every local derivative is 1: the gate hands its gradient on unchanged to
    # each argument, as the tutorials' + gate does. The engine passes the very
    # same float on (1.0 * g is g) instead of making one per argument.
    routes_gradient: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        routes = not self.variadic and all(p == "1.0" for p in self.partials)
        object.__setattr__(self, "routes_gradient", routes)

    # Variadic ops build their templates for the actual number of arguments.
    def value_template(self, n: int) -> str:
        if self.forms is not None:
            return self.forms(n)[0]
        if self.variadic:  # max(a) is a itself: Python's max() needs two
            return "%s(%s)" % (self.name, ", ".join(_args(n))) if n > 1 else "{0}"
        return self.value

    def partial_templates(self, n: int) -> tuple[str, ...]:
        if self.forms is not None:
            return self.forms(n)[1]
        if self.variadic:  # ties split the gradient evenly
            hits = ["({%d} == {out})" % i for i in range(n)]
            return tuple("%s / (%s)" % (hits[i], " + ".join(hits)) for i in range(n))
        return self.partials

    def rule_templates(self, n: int) -> tuple[str, ...]:
        if self.forms is not None:
            return self.forms(n)[2]
        if self.variadic:  # Iverson brackets: [a == out] is 1 when a is the chosen one
            hits = ["[{%d} == {out}]" % i for i in range(n)]
            return tuple(hits[i] if n == 1 else "%s / (%s)" % (hits[i], " + ".join(hits))
                         for i in range(n))
        return self.rule or self.partial_templates(n)

    def kink_template(self, n: int) -> str:
        if self.forms is not None:
            return self.forms(n)[3]
        if self.variadic:
            return "(%s) > 1" % " + ".join("({%d} == {out})" % i for i in range(n))
        return self.kink

    def domain_message(self, *args: float) -> str:
        """Why the op failed at these arguments."""
        return self._reason(self.domain, args)

    def failure(self, exc: Exception | None, *args: float) -> str:
        """Why the op gave no finite value at these (finite) arguments: `exc`
        is what its function raised, None when it returned inf or nan."""
        if isinstance(exc, ZeroDivisionError) and self.zero_division:
            return self.zero_division
        if isinstance(exc, OverflowError) or exc is None:
            return "the result is too large for double precision (above 1.8e308)"
        return self.domain_message(*args)

    def slope_message(self, *args: float) -> str:
        """Why a local derivative failed at these arguments."""
        return self._reason(self.slope, args)

    def _reason(self, reasons: str | tuple[tuple[str, str], ...], args: tuple[float, ...]) -> str:
        if isinstance(reasons, str):
            return reasons
        for condition, message in reasons:
            names = ["a%d" % i for i in range(len(args))]
            if eval(condition.format(*names), {}, dict(zip(names, args))):
                return message
        return "%s is not defined there" % self.name

    def functions(self, n: int) -> tuple[Callable, tuple[Callable, ...], Callable | None]:
        """(value(*args), (partial_k(out, *args), ...), kink(out, *args) or None),
        compiled once per argument count from the templates."""
        fns = self._compiled.get(n)
        if fns is None:
            params = ["a%d" % i for i in range(n)]
            sig = ", ".join(params)

            def compile_(body: str, head: str) -> Callable:
                return eval("lambda %s: %s" % (head, body.format(*params, out="out")), NAMESPACE)

            kink = self.kink_template(n)
            fns = (
                compile_(self.value_template(n), sig),
                tuple(compile_(p, "out, " + sig) for p in self.partial_templates(n)),
                compile_(kink, "out, " + sig) if kink else None,
            )
            self._compiled[n] = fns
        return fns


_SIG = "1.0 / (1.0 + exp(-{0})) if {0} >= 0.0 else exp({0}) / (1.0 + exp({0}))"

# The templates below are written for the last digit, as well as for the value:
# each value and partial is within a few units in the last place of the exact
# answer over the op's whole domain (tests/test_precision.py measures it against
# a 50-digit reference). Where the textbook form loses digits, the template
# takes another road to the same number and the rule keeps the textbook form:
# sig' as 1/(4 cosh^2(x/2)) instead of out(1 - out), which is 1 - 1 in the tails;
# tanh' as 1/cosh^2; -x/y^2 as -(x/y)/y, which neither overflows nor underflows
# on the way; atan2's slopes over hypot, which does not square its arguments.
_TINY = "2.2250738585072014e-308"  # the smallest normal double
# x*x to the last bit: x = H + L with H of 26 bits (Veltkamp's split), so that
# H*H is exact and x^2 = H*H + (2H + L)*L; erf' is e^-x^2 to the last digit.
_HI = "({0} * 134217729.0 - ({0} * 134217729.0 - {0}))"
_LO = "({0} - %s)" % _HI
_ERF_SLOPE = ("1.1283791670955126 * exp(-%s * %s) * exp(-(2.0 * %s + %s) * %s) if abs({0}) < 28.0 else 0.0"
              % (_HI, _HI, _HI, _LO, _LO))
_SCALE = "4.149515568880993e+180"  # 2^600: hypot's arguments brought up from the subnormals


def _hypot(n: int) -> tuple[str, tuple[str, ...], tuple[str, ...], str]:
    """hypot(a, b, ...) = sqrt(a^2 + b^2 + ...); d/da = a / out, taken as 0 at the origin."""
    args = _args(n)
    scaled = "hypot(%s)" % ", ".join("%s * %s" % (a, _SCALE) for a in args)
    partials = tuple("%s / {out} if {out} > 1e-290 else (%s * %s) / %s if {out} != 0.0 else 0.0"
                     % (a, a, _SCALE, scaled) for a in args)
    return "hypot(%s)" % ", ".join(args), partials, tuple("%s / {out}" % a for a in args), "{out} == 0.0"


def _logsumexp(n: int) -> tuple[str, tuple[str, ...], tuple[str, ...], str]:
    """log(e^a + e^b + ...) = M + log1p(the other terms), M the largest argument;
    d/da = e^(a - M) / (e^(a - M) + e^(b - M) + ...), the softmax."""
    args = _args(n)
    m = "max(%s)" % ", ".join(args)

    def term(a: str) -> str:
        # e^(a - M) to the last digit: a - M rounds, so Knuth's two-sum finds
        # the rounding error r exactly, and e^(a - M) = e^d (1 + r).
        d = "(%s - %s)" % (a, m)
        back = "(%s - %s)" % (d, a)
        r = "((%s - (%s - %s)) + (-%s - %s))" % (a, d, back, m, back)
        return "(exp(%s) * (1.0 + %s) if %s > -746.0 else 0.0)" % (d, r, d)

    ties = "(%s - 1.0)" % " + ".join("(%s == %s)" % (a, m) for a in args)
    rest = " + ".join("(%s if %s < %s else 0.0)" % (term(a), a, m) for a in args)
    total = "(%s)" % " + ".join(term(a) for a in args)
    return ("%s + log1p(%s + %s)" % (m, ties, rest),
            tuple("%s / %s" % (term(a), total) for a in args),
            tuple("exp(%s - {out})" % a for a in args), "")


OPS: dict[str, Op] = {op.name: op for op in (
    # Arithmetic. The symbol is what the table shows in the op column.
    Op("add", 2, "{0} + {1}", ("1.0", "1.0"), ("1", "1"), symbol="+", called=False),
    Op("sub", 2, "{0} - {1}", ("1.0", "-1.0"), ("1", "-1"), symbol="-", called=False),
    Op("mul", 2, "{0} * {1}", ("{1}", "{0}"), symbol="*", called=False),
    Op("div", 2, "{0} / {1}", ("1.0 / {1}", "-({out} / {1}) if abs({out}) >= 1e-300 "
                                "else -{0} / ({1} * {1}) if {0} != 0.0 else -({out} / {1})"), ("1.0 / {1}", "-{0} / ({1} * {1})"), symbol="/",
       domain="the divisor must not be 0", zero_division="division by zero", called=False),
    Op("neg", 1, "-{0}", ("-1.0",), ("-1",), symbol="-", called=False),
    # x^0 is 1 everywhere, so its slope is 0 even at x = 0; 0^y is 0 for y > 0, but
    # at 0^0 (= 1) the slope in y is undefined: log(0) raises there.
    Op("pow", 2, "pow({0}, {1})",
       # b - 1 is exact for b in [0.5, 2]; elsewhere out / a, unless out is below the normals.
       ("0.0 if {1} == 0.0 else {1} * pow({0}, {1} - 1.0) if abs({1} - 1.25) <= 0.75 "
        "else {1} * ({out} / {0}) if abs({out}) >= %s else {1} * pow({0}, {1} - 1.0)" % _TINY,
        "{out} * log({0}) if {out} != 0.0 else 0.0"),
       ("{1} * {0}^({1} - 1)", "{out} * log({0})"), symbol="^",
       domain=(("{0} < 0.0", "a negative base needs a whole-number exponent"),
               ("{0} == 0.0", "0 to a negative power divides by zero")),
       slope=(("{0} < 0.0", "the slope in the exponent is out * log(base), and the base is negative"),
              ("{0} == 0.0 and {1} == 0.0", "0^y jumps from 1 to 0 at y = 0, so it has no slope in y there"),
              ("{0} == 0.0", "the slope in the base is infinite at 0 for exponents below 1"))),
    # Functions.
    Op("exp", 1, "exp({0})", ("{out}",)),
    Op("log", 1, "log({0})", ("1.0 / {0}",), ("1 / {0}",), domain="log needs an argument above 0"),
    Op("log2", 1, "log2({0})", ("LOG2E / {0}",), ("1 / ({0} * ln(2))",),
       domain="log2 needs an argument above 0"),
    Op("log10", 1, "log10({0})", ("LOG10E / {0}",), ("1 / ({0} * ln(10))",),
       domain="log10 needs an argument above 0"),
    Op("sqrt", 1, "sqrt({0})", ("0.5 / {out}",), ("1 / (2 * {out})",),
       domain="sqrt needs an argument of at least 0", slope="sqrt's slope is infinite at 0"),
    Op("abs", 1, "abs({0})", ("({0} > 0.0) - ({0} < 0.0)",), ("sign({0})",),
       kink="{0} == 0.0", convention="abs'(0) = 0"),
    Op("sig", 1, _SIG, ("0.25 / (cosh(0.5 * {0}) * cosh(0.5 * {0})) if abs({0}) < 40.0 else exp(-abs({0}))",),
       ("{out} * (1 - {out})",)),
    Op("tanh", 1, "tanh({0})", ("1.0 / (cosh({0}) * cosh({0})) if abs({0}) < 20.0 else 4.0 * exp(-2.0 * abs({0}))",),
       ("1 - {out}^2",)),
    Op("sinh", 1, "sinh({0})", ("cosh({0})",)),
    Op("cosh", 1, "cosh({0})", ("sinh({0})",)),
    Op("sin", 1, "sin({0})", ("cos({0})",)),
    Op("cos", 1, "cos({0})", ("-sin({0})",)),
    Op("tan", 1, "tan({0})", ("1.0 + {out} * {out}",), ("1 + {out}^2",)),
    Op("asin", 1, "asin({0})", ("1.0 / sqrt((1.0 - {0}) * (1.0 + {0}))",), ("1 / sqrt(1 - {0}^2)",),
       domain="asin needs an argument between -1 and 1", slope="asin's slope is infinite at -1 and 1"),
    Op("acos", 1, "acos({0})", ("-1.0 / sqrt((1.0 - {0}) * (1.0 + {0}))",), ("-1 / sqrt(1 - {0}^2)",),
       domain="acos needs an argument between -1 and 1", slope="acos's slope is infinite at -1 and 1"),
    Op("atan", 1, "atan({0})", ("1.0 / (1.0 + {0} * {0}) if abs({0}) < 1e150 else 1.0 / {0} / {0}",), ("1 / (1 + {0}^2)",)),
    Op("atan2", 2, "atan2({0}, {1})",
       ("{1} / hypot({0}, {1}) / hypot({0}, {1})", "-{0} / hypot({0}, {1}) / hypot({0}, {1})"),
       ("{1} / ({0}^2 + {1}^2)", "-{0} / ({0}^2 + {1}^2)"), slope="the angle of (0, 0) has no slope"),
    Op("relu", 1, "{0} if {0} > 0.0 else 0.0", ("1.0 if {0} > 0.0 else 0.0",),
       ("1 if {0} > 0 else 0",), kink="{0} == 0.0", convention="relu'(0) = 0"),
    # log(1 + e^x) without overflow; its slope is sig(x).
    Op("softplus", 1, "log1p(exp({0})) if {0} < 30.0 else {0} + log1p(exp(-{0}))", (_SIG,), ("sig({0})",)),
    # log(sig(x)) = -softplus(-x); its slope is sig(-x).
    Op("logsigmoid", 1, "-log1p(exp(-{0})) if {0} > -30.0 else {0} - log1p(exp({0}))",
       ("1.0 / (1.0 + exp({0})) if {0} <= 0.0 else exp(-{0}) / (1.0 + exp(-{0}))",), ("1 - sig({0})",)),
    Op("log1p", 1, "log1p({0})", ("1.0 / (1.0 + {0})",), ("1 / (1 + {0})",),
       domain="log1p needs an argument above -1"),
    Op("expm1", 1, "expm1({0})", ("exp({0})",)),
    Op("erf", 1, "erf({0})", (_ERF_SLOPE,), ("2 / sqrt(pi) * exp(-{0}^2)",)),
    Op("max", 1, "", (), symbol="", variadic=True, convention="tied arguments share the gradient evenly"),
    Op("min", 1, "", (), symbol="", variadic=True, convention="tied arguments share the gradient evenly"),
    Op("hypot", 2, "", (), variadic=True, forms=_hypot, convention="hypot's slope at (0, 0, ...) is 0, as abs'(0) = 0"),
    Op("logsumexp", 2, "", (), variadic=True, forms=_logsumexp),
    # Comparisons and logic give 1 for true and 0 for false; a condition is
    # true when it is not 0. Their slope is 0 wherever it exists, so no
    # gradient flows through them; at a comparison's edge its value jumps.
    *(Op(name, 2, "1.0 if {0} %s {1} else 0.0" % symbol, ("0.0", "0.0"), ("0", "0"), symbol=symbol,
         kink="{0} == {1}", convention="a comparison passes no gradient", called=False, jumps=True)
      for name, symbol in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="))),
    Op("and", 2, "(1.0 if {1} != 0.0 else 0.0) if {0} != 0.0 else 0.0", ("0.0", "0.0"), ("0", "0"),
       symbol="and", called=False),
    Op("or", 2, "1.0 if {0} != 0.0 else (1.0 if {1} != 0.0 else 0.0)", ("0.0", "0.0"), ("0", "0"),
       symbol="or", called=False),
    Op("not", 1, "1.0 if {0} == 0.0 else 0.0", ("0.0",), ("0",), symbol="not", called=False),
    # c ? a : b and a if c else b; also where(c, a, b), as numpy spells it. The
    # gradient flows into the chosen value only.
    Op("where", 3, "{1} if {0} != 0.0 else {2}",
       ("0.0", "1.0 if {0} != 0.0 else 0.0", "0.0 if {0} != 0.0 else 1.0"), ("0", "[{0} != 0]", "[{0} == 0]"),
       branches=(1, 2)),
)}

# Names people write for the ops, including the tutorials' math./Math. prefixes
# (the parser strips those). The binary operators are reached through syntax.
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if op.called}
FUNCTIONS.update(sigmoid=OPS["sig"], ln=OPS["log"], log_sigmoid=OPS["logsigmoid"])

CONSTANTS: dict[str, float] = {"pi": math.pi, "PI": math.pi, "e": math.e, "E": math.e}
# Bare names that mean a constant; `e` and `E` only with a math./Math. prefix,
# since people use them as variables.
BARE_CONSTANTS = ("pi",)
