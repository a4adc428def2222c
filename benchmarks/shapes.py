"""The two program shapes of the scale benchmark, as text."""
from __future__ import annotations


def wide(ops: int) -> str:
    """Bindings of w_i, x_i, b_i, then the sum of sig(w_i*x_i + b_i): 4 operations a term."""
    n = max(1, ops // 4)
    lines = []
    for i in range(n):
        lines.append("w%d = %.3g" % (i, ((i * 7919) % 200 - 100) / 1000))
        lines.append("x%d = %.3g" % (i, ((i * 104729) % 200 - 100) / 100))
        lines.append("b%d = %.3g" % (i, ((i * 1299709) % 200 - 100) / 1000))
    lines.append(" + ".join("sig(w%d*x%d+b%d)" % (i, i, i) for i in range(n)))
    return "\n".join(lines) + "\n"


def chain(ops: int) -> str:
    """((x + a) * b + a) * b ..., nested ops/2 parentheses deep: 2 operations a level."""
    depth = max(1, ops // 2)
    return "x = 0.5; a = 0.25; b = 0.999\n" + "(" * depth + "x" + " + a) * b" * depth + "\n"
