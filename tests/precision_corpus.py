"""Writes tests/precision_corpus.txt: extreme points of every op in the table,
with the op's value and each partial derivative there computed by mpmath at
50 significant digits. The formulas below are the textbook ones, written
independently of gradcli's templates. tests/test_precision.py reads the file.

    python tests/precision_corpus.py      # rewrites the fixture

Each line: `op n | arguments | value | partials`, the arguments as Python
reprs (exact doubles), the references to 21 digits; `overflow` where it
is far beyond double precision, `-` where the exact answer does not exist (outside the domain, or a slope in the exponent of a
negative base).
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import mpmath
from mpmath import mp, mpf

mp.dps = 50
HERE = Path(__file__).with_name("precision_corpus.txt")
COUNT = 160  # random points per op, besides the hand-picked ones


def sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _max(*xs):
    return max(xs)


def _indicator(xs, pick):
    return [mpf(1) if x == pick else mpf(0) for x in xs]


def _softmax(xs):
    m = max(xs)
    es = [mpmath.exp(x - m) for x in xs]
    s = sum(es)
    return [e / s for e in es]


def _pow(x, y):
    v = mpmath.power(x, y)
    dx = y * mpmath.power(x, y - 1) if y != 0 else mpf(0)
    dy = v * mpmath.log(x) if x > 0 else None
    return v, [dx, dy]


# op -> (value, partials) as functions of mpf arguments; None: no such number.
REFERENCE = {
    "add": lambda a, b: (a + b, [1, 1]),
    "sub": lambda a, b: (a - b, [1, -1]),
    "mul": lambda a, b: (a * b, [b, a]),
    "div": lambda a, b: (a / b, [1 / b, -a / b ** 2]),
    "neg": lambda a: (-a, [-1]),
    "pow": _pow,
    "exp": lambda a: (mpmath.exp(a), [mpmath.exp(a)]),
    "log": lambda a: (mpmath.log(a), [1 / a]),
    "log2": lambda a: (mpmath.log(a, 2), [1 / (a * mpmath.log(2))]),
    "log10": lambda a: (mpmath.log10(a), [1 / (a * mpmath.log(10))]),
    "sqrt": lambda a: (mpmath.sqrt(a), [1 / (2 * mpmath.sqrt(a))]),
    "abs": lambda a: (abs(a), [mpmath.sign(a)]),
    "sig": lambda a: (sig(a), [sig(a) * sig(-a)]),
    "tanh": lambda a: (mpmath.tanh(a), [mpmath.sech(a) ** 2]),
    "sinh": lambda a: (mpmath.sinh(a), [mpmath.cosh(a)]),
    "cosh": lambda a: (mpmath.cosh(a), [mpmath.sinh(a)]),
    "sin": lambda a: (mpmath.sin(a), [mpmath.cos(a)]),
    "cos": lambda a: (mpmath.cos(a), [-mpmath.sin(a)]),
    "tan": lambda a: (mpmath.tan(a), [mpmath.sec(a) ** 2]),
    "asin": lambda a: (mpmath.asin(a), [1 / mpmath.sqrt(1 - a * a)]),
    "acos": lambda a: (mpmath.acos(a), [-1 / mpmath.sqrt(1 - a * a)]),
    "atan": lambda a: (mpmath.atan(a), [1 / (1 + a * a)]),
    "atan2": lambda y, x: (mpmath.atan2(y, x), [x / (x * x + y * y), -y / (x * x + y * y)]),
    "relu": lambda a: (max(a, mpf(0)), [mpf(1) if a > 0 else mpf(0)]),
    "softplus": lambda a: (mpmath.log1p(mpmath.exp(a)), [sig(a)]),
    "logsigmoid": lambda a: (-mpmath.log1p(mpmath.exp(-a)), [sig(-a)]),
    "log1p": lambda a: (mpmath.log1p(a), [1 / (1 + a)]),
    "expm1": lambda a: (mpmath.expm1(a), [mpmath.exp(a)]),
    "erf": lambda a: (mpmath.erf(a), [2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-a * a)]),
    "max": lambda *xs: (max(xs), _indicator(xs, max(xs))),
    "min": lambda *xs: (min(xs), _indicator(xs, min(xs))),
    "hypot": lambda *xs: (mpmath.sqrt(sum(x * x for x in xs)), [x / mpmath.sqrt(sum(y * y for y in xs)) for x in xs]),
    "logsumexp": lambda *xs: (max(xs) + mpmath.log(sum(mpmath.exp(x - max(xs)) for x in xs)), _softmax(xs)),
    "eq": lambda a, b: (mpf(a == b), [0, 0]),
    "ne": lambda a, b: (mpf(a != b), [0, 0]),
    "lt": lambda a, b: (mpf(a < b), [0, 0]),
    "le": lambda a, b: (mpf(a <= b), [0, 0]),
    "gt": lambda a, b: (mpf(a > b), [0, 0]),
    "ge": lambda a, b: (mpf(a >= b), [0, 0]),
    "and": lambda a, b: (mpf(a != 0 and b != 0), [0, 0]),
    "or": lambda a, b: (mpf(a != 0 or b != 0), [0, 0]),
    "not": lambda a: (mpf(a == 0), [0]),
    "where": lambda c, a, b: (a if c != 0 else b, [0, mpf(c != 0), mpf(c == 0)]),
}


def wide(rng: random.Random, lo: int = -300, hi: int = 300, signed: bool = True) -> float:
    """A double anywhere from 10^lo to 10^hi, of either sign."""
    x = rng.uniform(1.0, 10.0) * 10.0 ** rng.randint(lo, hi - 1)
    return -x if signed and rng.random() < 0.5 else x


def near_one(rng: random.Random) -> float:
    return 1.0 + rng.choice((-1, 1)) * 2.0 ** -rng.randint(1, 52) * rng.uniform(1.0, 2.0)


def unary_points(name: str, rng: random.Random) -> list[tuple[float, ...]]:
    u = rng.uniform
    draw = {
        "exp": lambda: u(-745.0, 709.7) if rng.random() < 0.7 else wide(rng, -300, 0),
        "expm1": lambda: u(-800.0, 709.7) if rng.random() < 0.5 else wide(rng, -300, 0),
        "log": lambda: wide(rng, -307, 308, False) if rng.random() < 0.7 else near_one(rng),
        "log2": lambda: wide(rng, -307, 308, False) if rng.random() < 0.7 else near_one(rng),
        "log10": lambda: wide(rng, -307, 308, False) if rng.random() < 0.7 else near_one(rng),
        "log1p": lambda: wide(rng, -300, 300, False) if rng.random() < 0.4 else
        -1.0 + 2.0 ** -rng.randint(1, 52) * u(1, 2) if rng.random() < 0.5 else -wide(rng, -300, 0, False) / 10,
        "sqrt": lambda: wide(rng, -307, 308, False) if rng.random() < 0.9 else u(0, 1) * 1e-310,
        "sig": lambda: u(-800.0, 800.0) if rng.random() < 0.7 else wide(rng),
        "softplus": lambda: u(-800.0, 800.0) if rng.random() < 0.7 else wide(rng),
        "logsigmoid": lambda: u(-800.0, 800.0) if rng.random() < 0.7 else wide(rng),
        "tanh": lambda: u(-400.0, 400.0) if rng.random() < 0.6 else wide(rng, -300, 3),
        "sinh": lambda: u(-710.0, 710.0) if rng.random() < 0.6 else wide(rng, -300, 2),
        "cosh": lambda: u(-710.0, 710.0) if rng.random() < 0.6 else wide(rng, -300, 2),
        "erf": lambda: u(-30.0, 30.0) if rng.random() < 0.7 else wide(rng, -300, 1),
        "asin": lambda: rng.choice((-1, 1)) * (1.0 - 2.0 ** -rng.randint(1, 52) * u(1, 2))
        if rng.random() < 0.5 else u(-1, 1) if rng.random() < 0.5 else wide(rng, -300, 0),
        "acos": lambda: rng.choice((-1, 1)) * (1.0 - 2.0 ** -rng.randint(1, 52) * u(1, 2))
        if rng.random() < 0.5 else u(-1, 1) if rng.random() < 0.5 else wide(rng, -300, 0),
        "tan": lambda: wide(rng) if rng.random() < 0.6 else math.pi / 2 * rng.randint(-1000, 1000) * (1 + u(-1, 1) * 1e-15),
        "not": lambda: rng.choice((0.0, wide(rng))),
    }.get(name, lambda: wide(rng))
    points = [(draw(),) for _ in range(COUNT)]
    if name in ("sin", "cos", "tan"):
        points += [(1e300,), (-1e300,), (1e22,), (math.pi,), (math.pi / 2,), (2 * math.pi,)]
    if name == "sig":
        points += [(20.0,), (30.0,), (36.0,), (37.0,), (40.0,), (-37.0,), (709.0,), (745.0,)]
    if name == "tanh":
        points += [(10.0,), (19.1,), (20.0,), (-19.1,), (350.0,)]
    # Each side of the points where a template changes its road.
    edges = {"sig": (40.0,), "tanh": (20.0,), "softplus": (30.0,), "logsigmoid": (-30.0,), "erf": (28.0, 27.3),
             "atan": (1e150,), "asin": (1.0,), "acos": (1.0,), "log1p": (-1.0,)}
    for edge in edges.get(name, ()):
        for x in (edge, -edge):
            points += [(math.nextafter(x, -math.inf),), (x,), (math.nextafter(x, math.inf),),
                       (x * (1 - 1e-9),), (x * (1 + 1e-9),)]
    return points


def multi_points(name: str, n: int, rng: random.Random) -> list[tuple[float, ...]]:
    u = rng.uniform
    if name == "pow":
        points = [(x, y) for x in (2.0, 1e-300, 3e-320, 0.7) for y in (0.5, 2.0, 1.25, 0.4999999, 2.0000001)]
        for _ in range(COUNT):
            if rng.random() < 0.2:  # a negative base, a whole exponent
                x = -wide(rng, -3, 3, False)
                points.append((x, float(rng.randint(-40, 40))))
            else:
                x = wide(rng, -300, 300, False) if rng.random() < 0.6 else near_one(rng)
                most = 700.0 / max(abs(math.log(x)), 1e-300)
                points.append((x, u(-min(most, 50.0), min(most, 50.0)) if rng.random() < 0.8 else
                               rng.choice((-1, 1)) * most * u(0, 1)))
        return points
    if name in ("atan2", "hypot", "div", "mul", "add", "sub"):
        ranges = ((-300, 300), (-310, -150), (150, 308))
        points = []
        for _ in range(COUNT):
            lo, hi = rng.choice(ranges)
            points.append(tuple(wide(rng, lo, hi) for _ in range(n)))
        if name == "div":
            points += [(1e-200, 1e-170), (1e-200, 1e-160), (1.0, 1e-154), (1e-320, 1e-5), (1e-300, 1.0),
                       (math.nextafter(1e-300, 0), 1.0), (1e-290, 1e10), (0.0, 1e-200), (-0.0, 3.0)]
        if name == "atan2":
            points += [(1e155, 1e155), (1e200, 1e200), (3e-160, 4e-160), (1e-200, 1e-200)]
        if name == "hypot":
            points += [(1e-320, 1e-320)[:n] + (3e-321,) * (n - 2), (1e300, 1e300) + (1e300,) * (n - 2)]
        return points
    if name == "logsumexp":
        points = []
        for _ in range(COUNT):
            centre = u(-800, 800) if rng.random() < 0.7 else wide(rng)
            points.append(tuple(centre + u(-40, 40) * (rng.random() < 0.8) for _ in range(n)))
        points += [(0.0, -40.0) + (-50.0,) * (n - 2), (1000.0, 1000.0) + (1000.0,) * (n - 2)]
        for _ in range(20):  # the sum near 1, the value near 0: it cancels (see test_precision)
            p = u(0.01, 0.99)
            points.append((math.log(p), math.log1p(-p)) + (-800.0,) * (n - 2))
        return points
    if name == "where":
        return [(rng.choice((0.0, wide(rng))), wide(rng), wide(rng)) for _ in range(20)]
    if name in ("eq", "ne", "lt", "le", "gt", "ge", "and", "or"):
        points = [(wide(rng), wide(rng)) for _ in range(20)]
        return points + [(x, x) for x, _ in points[:5]] + [(0.0, x) for x, _ in points[5:10]]
    return [tuple(wide(rng) for _ in range(n)) for _ in range(COUNT)]  # max, min


def text(v) -> str:
    if v is None:
        return "-"
    v = mpf(v)
    if abs(v) > mpf("1e400"):
        return "overflow"  # beyond double precision: tests/test_precision.py checks the error
    return "0" if abs(v) < mpf("1e-400") else mpmath.nstr(v, 21, min_fixed=1, max_fixed=0)


def lines() -> list[str]:
    from gradcli.ops import OPS  # only for the names and argument counts
    out = []
    for name, op in OPS.items():
        for n in ((2, 3) if op.variadic and name in ("hypot", "logsumexp") else (2, 3) if op.variadic else (op.arity,)):
            rng = random.Random("gradcli precision %s %d" % (name, n))
            points = unary_points(name, rng) if n == 1 else multi_points(name, n, rng)
            for xs in points:
                try:
                    value, partials = REFERENCE[name](*(mpf(x) for x in xs))
                except (ValueError, ZeroDivisionError):
                    continue
                if value is None or not mpmath.isfinite(value) or getattr(value, "imag", 0):
                    continue
                out.append("%s %d | %s | %s | %s" % (name, n, " ".join(repr(x) for x in xs), text(value),
                                                     " ".join(text(p) for p in partials)))
    return out


if __name__ == "__main__":
    body = lines()
    HERE.write_text("# op n | arguments | value | partials: written by tests/precision_corpus.py\n"
                    + "\n".join(body) + "\n")
    print("%d points written to %s" % (len(body), HERE))
