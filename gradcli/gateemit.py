"""--emit js-gates and --emit python-gates: any gradcli program written the
way the Hacker's guide writes its neuron, with a Unit class, one gate class
per op (forward returns a new Unit, backward adds into its input Units'
grad), a gate object per gate, the forward calls, `out.grad = 1.0` and the
backward calls in reverse order.

Each gate class is written from its op's record in the op table: forward
from the value template, backward from the partial templates, so the
emitted code computes what gradcli computes. The code reads back into
gradcli (gates.py), and runs in node or Python, printing the output and
each input's gradient.
"""
from __future__ import annotations

import json
import re

from .codegen import EMIT_PYTHON_RESERVED, JS_RESERVED, Names, js_expr, literal
from .errors import ProgramError
from .graph import CONST, INPUT, Graph
from .ops import HELPERS, Op

TARGETS = ("js-gates", "python-gates")
_NAME = re.compile(r"(?<![\w.{])[A-Za-z_]\w*")


def _class_name(op: Op, n: int, python: bool) -> str:
    base = op.name + (str(n) if op.variadic else "")
    return (base[0].upper() + base[1:] if python else base) + "Gate"


def _helper_text(template: str, python: bool, used: set[str], g: Graph, node: int, op: Op) -> str:
    """The template with its helpers as the target spells them (math.exp, Math.exp)."""
    def one(m: re.Match) -> str:
        name = m.group(0)
        h = HELPERS.get(name)
        if h is None:
            return name
        if python:
            if h.python == "math":
                return "math." + name
            if h.python == "constant":
                used.add(name)
            return name
        if h.js is None:
            raise ProgramError("%s has no JavaScript form; emit Python instead" % op.name, span=g.span[node],
                               source=g.source, hint="the op table has no JavaScript for %s; --emit python-gates "
                                                     "has every op" % name)
        if h.js.startswith("Math.") and "\n" not in h.js:
            return h.js
        used.add(name)
        return name
    return _NAME.sub(one, template)


def _pattern(g: Graph, i: int) -> str:
    """Each argument of node i as a Unit ("u": a gradient flows into it) or a
    plain number ("n": a constant, as the learner's powGate takes its exponent)."""
    return "".join("u" if g.needs[a] else "n" for a in g.args[i])


def emit_gates(g: Graph, target: str) -> str:
    """The program as Unit and gate objects, in JavaScript or Python."""
    if target not in TARGETS:
        raise ValueError("unknown target %r" % target)
    python = target == "python-gates"
    reserved = (EMIT_PYTHON_RESERVED | {"Unit", "math", "self"} if python else
                JS_RESERVED | {"Unit", "console", "grad"})
    used = g.reachable_sweep(node for _, node in g.outputs)
    order = [i for i in range(len(g)) if used[i]]
    names = Names(reserved)
    # the gate classes: one per op, argument count and which arguments are Units
    classes: dict[tuple[str, int, str], str] = {}
    for i in order:
        op = g.op[i]
        if op is not None:
            key = (op.name, len(g.args[i]), _pattern(g, i))
            if key not in classes:
                base = _class_name(op, key[1], python)
                classes[key] = names.take(base if "n" not in key[2] else "%s_%s" % (base, key[2]))
    unit: dict[int, str] = {}
    for name, i in g.inputs.items():
        if used[i]:
            unit[i] = names.take(name)
    for i in order:
        if i not in unit and g.name[i] and g.kind[i] != INPUT and g.kind[i] != CONST:
            unit[i] = names.take(g.name[i])  # type: ignore[arg-type]
    for k, (_, out) in enumerate(g.outputs):
        if g.kind[out] == CONST and out not in unit:  # an output that is a number: a Unit of its own
            unit[out] = names.take("k%d" % (k + 1))
    temp = 0
    for i in order:
        if i not in unit and g.kind[i] != CONST:
            temp += 1
            unit[i] = names.take("t%d" % temp)
    count: dict[str, int] = {}
    gate: dict[int, str] = {}
    for i in order:
        op = g.op[i]
        if op is not None:
            k = count.get(op.name, 0)
            count[op.name] = k + 1
            gate[i] = names.take("%sg%d" % (op.name, k))

    helpers: set[str] = set()
    me = "self" if python else "this"
    blocks: list[str] = []
    for (opname, n, pattern), cls in classes.items():
        i = next(j for j in order if g.op[j] is not None and g.op[j].name == opname  # type: ignore[union-attr]
                 and len(g.args[j]) == n and _pattern(g, j) == pattern)
        op = g.op[i]
        assert op is not None
        params = ["%s%d" % (kind, k) for k, kind in enumerate(pattern)]
        here = ["%s.value" % p if kind == "u" else p for p, kind in zip(params, pattern)]   # in forward
        there = ["%s.%s%s" % (me, p, ".value" if kind == "u" else "") for p, kind in zip(params, pattern)]
        value = _helper_text(op.value_template(n), python, helpers, g, i, op).format(*here)
        partials = [_helper_text(t, python, helpers, g, i, op).format(*there, out="%s.utop.value" % me)
                    if kind == "u" else "" for t, kind in zip(op.partial_templates(n), pattern)]
        helper = ""
        if " if " in op.value_template(n):  # a conditional: in a helper method, as the tutorial's sig(x)
            xs = ["x%d" % k for k in range(n)]
            method = op.name + "_" if op.name in reserved or op.name in ("forward", "backward") else op.name
            body = _helper_text(op.value_template(n), python, helpers, g, i, op).format(*xs)
            if python:
                helper = "    def %s(self, %s):\n        return %s\n\n" % (method, ", ".join(xs), body)
            else:
                helper = "  %s: function (%s) {\n    return %s;\n  },\n" % (method, ", ".join(xs), js_expr(body))
            value = "%s.%s(%s)" % (me, method, ", ".join(here))
        if not python:
            value = value if helper else js_expr(value)
            partials = [js_expr(p) if p else p for p in partials]
        stores = ["%s.%s = %s" % (me, p, p) for p in params]
        writes = ["%s.%s.grad += (%s) * %s.utop.grad" % (me, p, d, me) for p, d in zip(params, partials) if d]
        rule = "; ".join("d/d%s = %s" % (p, r.format(*params, out="utop"))
                         for p, r, kind in zip(params, op.rule_templates(n), pattern) if kind == "u")
        if "n" in pattern:
            rule += ("; " if rule else "") + "%s: a number, no gradient" % ", ".join(
                p for p, kind in zip(params, pattern) if kind == "n")
        if python:
            blocks.append("class %s:\n    # %s\n%s    def forward(self, %s):\n        %s\n"
                          "        self.utop = Unit(%s, 0.0)\n        return self.utop\n\n"
                          "    def backward(self):\n        %s\n" % (
                              cls, rule, helper, ", ".join(params), "\n        ".join(stores), value,
                              "\n        ".join(writes) or "pass  # no Unit to write into"))
        else:
            blocks.append("var %s = function () { };\n%s.prototype = {\n  // %s\n%s  forward: function (%s) {\n"
                          "    %s;\n    this.utop = new Unit(%s, 0.0);\n    return this.utop;\n  },\n"
                          "  backward: function () {\n    %s\n  }\n};" % (
                              cls, cls, rule, helper, ", ".join(params), ";\n    ".join(stores), value,
                              "".join(w + ";\n    " for w in writes).rstrip() or "// no Unit to write into"))

    end = "" if python else ";"
    new = "" if python else "new "
    decl = "" if python else "var "
    mark = "#" if python else "//"

    def arg(a: int) -> str:
        if g.kind[a] == CONST and a not in unit:
            return literal(g.value[a] or 0.0)
        return unit[a] if g.needs[a] else "%s.value" % unit[a]

    lines: list[str] = ["%s the inputs as Units" % mark]
    for i in order:
        if g.kind[i] == INPUT or i in unit and g.kind[i] == CONST:
            lines.append("%s%s = %sUnit(%s, 0.0)%s" % (decl, unit[i], new, literal(g.value[i] or 0.0), end))
    lines.append("%s the gates, one object each" % mark)
    for i in order:
        if i in gate:
            op = g.op[i]
            assert op is not None
            lines.append("%s%s = %s%s()%s" % (decl, gate[i], new, classes[op.name, len(g.args[i]), _pattern(g, i)],
                                              end))
    lines.append("%s forward pass" % mark)
    for i in order:
        if i in gate:
            lines.append("%s%s = %s.forward(%s)%s  %s %s" % (decl, unit[i], gate[i], ", ".join(map(arg, g.args[i])),
                                                             end, mark, g.label(i)))
    for k, (label, out) in enumerate(g.outputs):
        reach = g.reachable([out])
        lines.append("%s backward pass of %s, in reverse order" % (mark, label))
        if k:
            lines += ["%s.grad = 0.0%s" % (unit[i], end) for i in order if i in unit]
        lines.append("%s.grad = 1.0%s" % (unit[out], end))
        lines += ["%s.backward()%s" % (gate[i], end) for i in reversed(order) if i in gate and reach[i] and g.needs[i]]
        say = "print(%s, %s)" if python else "console.log(%s + \" \" + %s)%s"
        pieces = [("output %s =" % label, "%s.value" % unit[out])]
        pieces += [("d %s / d %s =" % (label, n_), "%s.grad" % unit[i]) for n_, i in g.inputs.items() if used[i]]
        for text, expr in pieces:
            lines.append(say % ((json.dumps(text), expr) if python else (json.dumps(text), expr, end)))

    head = ["%s generated by gradcli: the circuit as Unit and gate objects, as the Hacker's guide writes it" % mark]
    if python:
        head.append("import math")
        head += ["%s = %r" % (h, HELPERS[h].value) for h in sorted(helpers)]
        unit_class = ("class Unit:\n    # every Unit is a wire: its value from the forward pass, its grad "
                      "from the backward pass\n    def __init__(self, value, grad):\n        self.value = value\n"
                      "        self.grad = grad\n")
    else:
        head += ["var %s = %s;" % (h, (HELPERS[h].js or "").replace("\n", "\n  ") if callable(HELPERS[h].value)
                 else HELPERS[h].js) for h in sorted(helpers)]
        unit_class = ("// every Unit is a wire: its value from the forward pass, its grad from the backward pass\n"
                      "var Unit = function (value, grad) {\n  this.value = value;\n  this.grad = grad;\n};")
    sep = "\n\n\n" if python else "\n\n"
    return sep.join(part.rstrip("\n") for part in ["\n".join(head), unit_class] + blocks + ["\n".join(lines)]) + "\n"
