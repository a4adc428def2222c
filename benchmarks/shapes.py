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


# -- a small network, for the step loop and the API ----------------------------------------
#
# One hidden layer of tanh units over data inputs x_j (frozen: they are the data,
# not parameters), one linear output, a squared error to a target; descend on it.
# Parameters: hidden * (inputs + 2) + 1 (mlp(4, 8) has 49, mlp(3, 100) has 501).

def _mlp_values(inputs: int, hidden: int) -> tuple[dict[str, float], dict[str, float]]:
    data = {"x%d" % j: round(((j * 37) % 19 - 9) / 10, 3) for j in range(inputs)}
    params: dict[str, float] = {}
    for i in range(hidden):
        for j in range(inputs):
            params["w%d_%d" % (i, j)] = round((((i * 31 + j * 17) % 23) - 11) / 40, 4)
        params["b%d" % i] = round(((i * 13) % 7 - 3) / 20, 4)
    for i in range(hidden):
        params["v%d" % i] = round((((i * 29) % 17) - 8) / 30, 4)
    params["c"] = 0.1
    return data, params


def mlp_parameters(inputs: int, hidden: int) -> int:
    return hidden * (inputs + 2) + 1


def mlp(inputs: int, hidden: int, target: float = 0.7) -> tuple[str, list[str]]:
    """The network as a gradcli program, and the names of its data inputs (to freeze)."""
    data, params = _mlp_values(inputs, hidden)
    lines = ["%s = %r" % kv for kv in data.items()] + ["%s = %r" % kv for kv in params.items()]
    for i in range(hidden):
        terms = " + ".join("w%d_%d*x%d" % (i, j, j) for j in range(inputs))
        lines.append("h%d = tanh(%s + b%d)" % (i, terms, i))
    lines.append("o = " + " + ".join("v%d*h%d" % (i, i) for i in range(hidden)) + " + c")
    lines.append("e = o - %r" % target)
    lines.append("e*e")
    return "\n".join(lines) + "\n", list(data)


def mlp_point(inputs: int, hidden: int) -> dict[str, float]:
    """Every input's starting value, data and parameters."""
    data, params = _mlp_values(inputs, hidden)
    return {**data, **params}


def mlp_hand(inputs: int, hidden: int, target: float = 0.7, exact: bool = False) -> str:
    """The same network's step loop written out by hand, in the tutorials'
    straight-line style: `mlp_steps(n, step, **point)` runs n descent steps on the
    parameters (the data stays put) and returns (loss, {name: value}). tanh' is
    the tutorials' 1 - h*h; with `exact`, gradcli's op table's 1/cosh(z)^2
    (exact in the tails too), so that every step is gradcli's, bit for bit."""
    data, params = _mlp_values(inputs, hidden)
    names = list(data) + list(params)
    out = ["from math import cosh, exp, tanh", "", "",
           "def mlp_steps(n, step, %s):" % ", ".join(names), "    for _ in range(n):"]
    body = []
    for i in range(hidden):
        terms = " + ".join("w%d_%d * x%d" % (i, j, j) for j in range(inputs))
        if exact:
            body.append("z%d = %s + b%d" % (i, terms, i))
            body.append("h%d = tanh(z%d)" % (i, i))
        else:
            body.append("h%d = tanh(%s + b%d)" % (i, terms, i))
    body.append("o = " + " + ".join("v%d * h%d" % (i, i) for i in range(hidden)) + " + c")
    body.append("e = o - %r" % target)
    body.append("de = e + e")  # d(e*e)/de
    body.append("dc = de")
    for i in range(hidden):
        body.append("dv%d = h%d * de" % (i, i))
        slope = ("(1.0 / (cosh(z{0}) * cosh(z{0})) if abs(z{0}) < 20.0 else 4.0 * exp(-2.0 * abs(z{0})))"
                 if exact else "(1.0 - h{0} * h{0})").format(i)
        body.append("dz%d = %s * (v%d * de)" % (i, slope, i))
        body.append("db%d = dz%d" % (i, i))
        body += ["dw%d_%d = x%d * dz%d" % (i, j, j, i) for j in range(inputs)]
    body += ["%s -= step * d%s" % (p, p) for p in params]
    out += ["        " + line for line in body]
    final = [line for line in body[:hidden * (2 if exact else 1) + 2]]
    out += ["    " + line for line in final]
    out.append("    return e * e, {%s}" % ", ".join('"%s": %s' % (p, p) for p in params))
    return "\n".join(out) + "\n"
