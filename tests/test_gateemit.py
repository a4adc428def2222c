"""--emit js-gates and python-gates: any program as the Hacker's guide's Unit
and gate objects. The emitted code runs in node and in Python and prints
what the table shows; gradcli reads it back to the same numbers; every op of
the op table goes through both."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.errors import ProgramError, Source
from gradcli.gateemit import emit_gates
from gradcli.ops import HELPERS, OPS

from .test_emit import NODE, needs_node
from .test_optable import CASES, IDS, bindings, point
from .test_ops import source_of

NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]


def emitted(target, *args):
    result = CliRunner().invoke(main, ["--emit", target, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def run(target, code, tmp_path):
    """The emitted code run by python or node: {printed label: number}."""
    path = tmp_path / ("circuit.py" if target == "python-gates" else "circuit.js")
    path.write_text(code, "utf-8")
    command = [sys.executable, str(path)] if target == "python-gates" else [NODE, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + code
    out = {}
    for line in done.stdout.splitlines():
        label, _, number = line.rpartition(" = ")
        out[label] = float(number)
    return out


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) or (a == b)


TARGETS = ["python-gates", pytest.param("js-gates", marks=needs_node)]


@pytest.mark.parametrize("target", TARGETS)
def test_the_neuron_as_objects_prints_the_tables_numbers(target, tmp_path):
    printed = run(target, emitted(target, *NEURON), tmp_path)
    r = gradcli.evaluate(NEURON[0], {w.split("=")[0]: float(w.split("=")[1]) for w in NEURON[1:]})[0]
    assert close(printed["output sig(a*x+b*y+c)"], r.value)
    for name, g in r.gradients.items():
        assert close(printed["d sig(a*x+b*y+c) / d %s" % name], g), name
    table = CliRunner().invoke(main, NEURON).stdout
    assert "output sig(a*x+b*y+c) = %.4g" % printed["output sig(a*x+b*y+c)"] in table


def test_the_emitted_code_reads_like_the_tutorial():
    code = emitted("js-gates", *NEURON)
    assert "var mulGate = function () { };\nmulGate.prototype = {" in code
    assert "    this.u0.grad += (this.u1.value) * this.utop.grad;\n" in code
    assert "var mulg0 = new mulGate();\nvar mulg1 = new mulGate();" in code
    assert "var t1 = mulg0.forward(a, x);  // a*x" in code
    assert "t5.grad = 1.0;\nsigg0.backward();\naddg1.backward();\naddg0.backward();\nmulg1.backward();\n" \
           "mulg0.backward();" in code
    python = emitted("python-gates", *NEURON)
    assert "class MulGate:" in python and "        self.u0.grad += (self.u1.value) * self.utop.grad" in python
    assert "    def sig(self, x0):" in python  # sig's conditional in a helper method, as the tutorial's sig(x)


@pytest.mark.parametrize("target", TARGETS)
def test_gradcli_reads_its_own_objects_back(target, tmp_path):
    program = "q = a*x + b*y + c; f = sig(q) * q + x"  # q and x fork
    binds = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
    want = gradcli.evaluate(program, binds)[0]
    code = emitted(target, program, *("%s=%r" % kv for kv in binds.items()))
    back = gradcli.evaluate(Source(code, "circuit.py" if target == "python-gates" else "circuit.js"))[0]
    assert close(back.value, want.value)
    for name, g in want.gradients.items():
        assert close(back.gradients[name], g), name
    result = CliRunner().invoke(main, ["--verify", "-f", "-"], input=code)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("every gate's backward method is right, and so is every gradient")


def test_several_outputs_each_get_their_backward_pass(tmp_path):
    code = emitted("python-gates", "q = x*y; q + x; q*q", "x=2", "y=3")
    printed = run("python-gates", code, tmp_path)
    assert printed == {"output q + x": 8.0, "d q + x / d x": 4.0, "d q + x / d y": 2.0,
                       "output q*q": 36.0, "d q*q / d x": 36.0, "d q*q / d y": 24.0}


def _needs_loop(name, n):
    """An op whose JavaScript helper is a function with a loop (erf): gradcli's
    reader of objects takes no loops, so its js-gates are not read back."""
    op = OPS[name]
    text = " ".join((op.value_template(n),) + op.partial_templates(n))
    return any(h in text and HELPERS[h].js is not None and "for (" in HELPERS[h].js for h in HELPERS)


@pytest.mark.parametrize("name, n", CASES, ids=IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_every_op_as_a_gate_computes_what_gradcli_computes(name, n, target, tmp_path):
    xs = point(name, n)
    source = source_of(name, n)
    g = gradcli.compile(source, bindings(xs))
    r = gradcli.evaluate(source, bindings(xs))[0]
    try:
        code = emit_gates(g, target)
    except ProgramError as e:
        assert target == "js-gates" and e.message.endswith("; emit Python instead")
        return
    printed = run(target, code, tmp_path)
    (label,) = [k for k in printed if k.startswith("output ")]
    assert close(printed[label], r.value), (name, printed, r.value)
    for k, v in r.gradients.items():
        assert close(printed["d %s / d %s" % (label[7:], k)], v), (name, k)
    # and read back by gradcli, as code with Unit and gate objects
    if target == "js-gates" and _needs_loop(name, n):
        with pytest.raises(gradcli.GradcliError, match="(an if statement|a for loop) is outside the Unit-and-gate code"):
            gradcli.evaluate(Source(code, "circuit.js"))
        return
    back = gradcli.evaluate(Source(code, "circuit.py" if target == "python-gates" else "circuit.js"))[0]
    assert close(back.value, r.value), name
    for k, v in r.gradients.items():
        assert close(back.gradients[k], v), (name, k)


# --- random programs: as objects and back, the same numbers, and a right backward pass ---

from hypothesis import given, note  # noqa: E402

from .test_properties import points, programs, smooth_result  # noqa: E402


@given(programs(), points)
def test_random_programs_as_objects_read_back_to_the_same_numbers(program, point):
    text, _ = program
    note(text)
    r = smooth_result(text, point)
    code = emit_gates(gradcli.compile(text, point), "python-gates")
    note(code)
    back = gradcli.evaluate(Source(code, "circuit.py"))[0]
    assert close(back.value, r.value)
    for k, v in r.gradients.items():  # an input bound but not used is no Unit of the circuit: gradient 0
        assert close(back.gradients.get(k, 0.0), v), k
    from gradcli.gatecheck import check_gates
    report = check_gates(Source(code, "circuit.py"), {})
    assert report.ok, [row.message for row in report.rows if row.status != "ok"] + [p.message for p in report.problems]
