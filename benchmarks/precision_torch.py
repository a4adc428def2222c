"""gradcli's digits against PyTorch's float64, op by op, at the precision
corpus's extreme points (tests/precision_corpus.txt, 50-digit references).

    pip install torch==2.13.0    # test-only; never a dependency of gradcli
    python benchmarks/precision_torch.py

For each op: the worst error of gradcli and of PyTorch in units in the last
place of the exact answer (over the value and every partial derivative), the
points where PyTorch gives inf, nan or 0 for a finite non-zero answer, and the
points where gradcli is more than 1 ulp less accurate than PyTorch.
Targets: gradcli within 4 ulps everywhere, and never more than 1 ulp behind
PyTorch at any point (ties within an ulp are rounding noise of either side).
"""
from __future__ import annotations

import math
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_precision import LARGEST, POINTS, scale  # noqa: E402
from gradcli.ops import OPS  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed (pip install torch==2.13.0): nothing to compare")
    sys.exit(0)


def stack(*xs):
    return torch.stack(xs)


# op -> the same function in PyTorch, over 0-d float64 tensors.
TORCH = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": torch.pow,
    "exp": torch.exp, "log": torch.log, "log2": torch.log2, "log10": torch.log10, "sqrt": torch.sqrt,
    "abs": torch.abs, "sig": torch.sigmoid, "tanh": torch.tanh, "sinh": torch.sinh, "cosh": torch.cosh,
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "asin": torch.asin, "acos": torch.acos,
    "atan": torch.atan, "atan2": torch.atan2, "relu": torch.relu, "softplus": F.softplus,
    "logsigmoid": F.logsigmoid, "log1p": torch.log1p, "expm1": torch.expm1, "erf": torch.erf,
    "max": lambda *xs: stack(*xs).max(), "min": lambda *xs: stack(*xs).min(),
    "hypot": lambda *xs: torch.hypot(*xs) if len(xs) == 2 else torch.linalg.vector_norm(stack(*xs)),
    "logsumexp": lambda *xs: torch.logsumexp(stack(*xs), 0),
}


def error(got: float, want: Fraction, name: str, xs, k: int) -> float:
    if not math.isfinite(got):
        return math.inf
    return float(abs(Fraction(got) - want) / Fraction(math.ulp(abs(float(scale(name, xs, want, k))))))


def compare(name: str, n: int) -> tuple[float, float, int, int, int]:
    fn, partials, _ = OPS[name].functions(n)
    ours_worst = theirs_worst = 0.0
    torch_fails = behind = points = 0
    for xs, value, slopes in POINTS[name, n]:
        args = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        try:
            y = TORCH[name](*args)
            y.backward()
            theirs = [y.item()] + [0.0 if a.grad is None else a.grad.item() for a in args]
        except RuntimeError:
            theirs = [math.nan] * (n + 1)
        out = fn(*xs)
        ours = [out]
        for p in partials:
            try:
                ours.append(p(out, *xs))
            except (ValueError, ZeroDivisionError, OverflowError):
                ours.append(math.nan)  # where the exact answer does not exist either
        for k, (want_text, mine, other) in enumerate(zip([value] + slopes, ours, theirs)):
            if want_text in ("-", "overflow"):
                continue
            want = Fraction(Decimal(want_text))
            if abs(want) >= LARGEST:
                continue
            points += 1
            e_ours, e_theirs = error(mine, want, name, xs, k), error(other, want, name, xs, k)
            if not math.isfinite(e_theirs) or (other == 0.0 and want != 0 and float(want) != 0.0):
                torch_fails += 1
            ours_worst = max(ours_worst, e_ours)
            theirs_worst = max(theirs_worst, e_theirs)
            behind += e_ours > e_theirs + 1.0
    return ours_worst, theirs_worst, torch_fails, behind, points


def main() -> None:
    torch.set_default_dtype(torch.float64)
    print("%-12s %8s %10s %12s %10s %14s" % ("op", "numbers", "gradcli", "pytorch", "torch 0/inf", "gradcli behind"))
    worst, total_behind = 0.0, 0
    for name, n in sorted(POINTS):
        if name not in TORCH:
            continue  # comparisons, logic, where: exact 0 and 1 in both
        ours, theirs, fails, behind, points = compare(name, n)
        worst, total_behind = max(worst, ours), total_behind + behind
        print("%-12s %8d %9.2fu %11.3gu %10d %14d" % ("%s/%d" % (name, n), points, ours, theirs, fails, behind))
    print("gradcli's worst error: %.2f ulps (target: at most 4)" % worst)
    print("points where gradcli is more than 1 ulp behind PyTorch: %d (target: 0)" % total_behind)


if __name__ == "__main__":
    main()
