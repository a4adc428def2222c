"""Code written with Unit and gate objects (the Hacker's guide's seed code in
JavaScript and Python): read as written, never run, and shown in the
table with the tutorial's numbers."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.errors import Source

from .conftest import GATES_DIR

JS = GATES_DIR / "neuron_gates.js"
PY = GATES_DIR / "neuron_gates.py"
NEURON = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)


def neuron(a, b, c, x, y):
    return 1.0 / (1.0 + math.exp(-(a * x + b * y + c)))


def central(f, point, h=1e-6):
    """Central differences of f at a dict of inputs."""
    out = {}
    for k in point:
        up, down = dict(point), dict(point)
        up[k] += h
        down[k] -= h
        out[k] = (f(**up) - f(**down)) / (2 * h)
    return out


def invoke(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("path", [JS, PY], ids=["js", "python"])
def test_the_seed_code_gives_the_neurons_value_and_gradients(path):
    result = invoke("-f", str(path), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.splitlines()[0])
    assert out["output"] == "s"
    assert math.isclose(out["value"], neuron(**NEURON), rel_tol=1e-12)
    want = central(neuron, NEURON)
    assert out["gradients"].keys() == want.keys()
    for k, v in want.items():
        assert math.isclose(out["gradients"][k], v, rel_tol=1e-7), k
    # the tutorial's printed numbers
    assert round(out["value"], 4) == 0.8808
    assert {k: round(v, 3) for k, v in out["gradients"].items()} == {
        "a": -0.105, "b": 0.315, "c": 0.105, "x": 0.105, "y": 0.210}


@pytest.mark.parametrize("path, names", [
    (JS, ["ax", "by", "axpby", "axpbypc", "s"]),
    (PY, ["ax", "by", "ax_p_by", "ax_p_by_p_c", "s"])], ids=["js", "python"])
def test_the_table_keeps_the_programs_names_and_shows_each_units_gate(path, names):
    result = invoke("-f", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.split()}
    for name in names:
        assert name in rows, name
    start = lines.index("the circuit's Units (grad: what the program's backward calls leave in u.grad)")
    units = {line.split()[0]: line for line in lines[start + 2:start + 12]}
    mul = "multiplyGate" if path == JS else "MultGate"
    assert "mulg0.forward (%s)" % mul in units["ax"] and units["ax"].split()[-3] == "addg0"
    assert "sg0.forward" in units["s"]
    assert units["a"].split()[-3] == "mulg0"
    assert units[names[3]].split()[-3] == "sg0"
    # the step at the end, and the second forward pass
    stepped = {k: v + 0.01 * g for (k, v), g in zip(NEURON.items(), central(neuron, NEURON).values())}
    after = neuron(**stepped)
    assert "%.5g" % after == "0.88255"  # the tutorial: "prints 0.8825"
    step = [line for line in lines if "one step of gradient ascent" in line]
    assert step == [step[0]] and "step size 0.01" in step[0]
    assert "the forward pass again gives s = %.5g (was 0.8808)" % after in step[0]
    assert "gradcli's --step 0.01 gives the same" in step[0]


def test_the_printing_lines_are_skipped_with_a_note():
    result = invoke("-f", str(JS))
    notes = [line for line in result.stdout.splitlines() if line.startswith("note: console.log skipped")]
    assert len(notes) == 1 and "lines 89, 92" in notes[0]
    result = invoke("-f", str(PY))
    assert any(line.startswith("note: print skipped (lines 92, 98, 106)") for line in result.stdout.splitlines())


def test_bindings_override_the_units_values():
    point = dict(NEURON, b=0.5, x=2.0)
    for path in (JS, PY):
        result = invoke("-f", str(path), "b=0.5", "x=2", "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout.splitlines()[0])
        assert math.isclose(out["value"], neuron(**point), rel_tol=1e-12)
        for k, v in central(neuron, point).items():
            assert math.isclose(out["gradients"][k], v, rel_tol=1e-6), k
        # the program's own backward pass ran at the same values: no note of a difference
        table = invoke("-f", str(path), "b=0.5", "x=2").stdout
        assert "leaves different gradients" not in table


def test_the_api_reads_gate_code_too():
    r = gradcli.grad(Source(JS.read_text("utf-8"), "neuron_gates.js"))
    assert r.label == "s" and math.isclose(r.value, neuron(**NEURON), rel_tol=1e-12)


def test_the_code_is_never_run(monkeypatch):
    # gradcli compiles its own op templates with eval; none of the program's
    # text may reach eval, exec, compile (other than ast's parse-only call) or a process.
    import builtins
    import subprocess
    seen = []
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def spy(name):
        def call(code, *args, **kwargs):
            flags = args[2] if name == "compile" and len(args) > 2 else kwargs.get("flags", 0)
            if not (name == "compile" and flags & 0x400):  # ast.PyCF_ONLY_AST: parsing only
                seen.append(str(code))
            return real[name](code, *args, **kwargs)
        return call

    def no_process(*args, **kwargs):
        raise AssertionError("a process was started")
    for name in real:
        monkeypatch.setattr(builtins, name, spy(name))
    monkeypatch.setattr(subprocess, "Popen", no_process)
    from gradcli import gates
    for path in (JS, PY):
        source = Source(path.read_text("utf-8"), path.name)
        c = gates.read(source, {}, gates.language(source) or "")
        assert c.output.name == "s"
    assert not [code for code in seen if "utop" in code or "forward" in code or "Unit" in code]


SEED_PYTHON_AS_COPIED = """import math
class Unit:
def __init__(self, value, grad):
self.value = value
self.grad = grad
"""


def test_python_that_lost_its_indentation_gets_one_clear_error():
    result = invoke("-f", "-", input=SEED_PYTHON_AS_COPIED)
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("gradcli: syntax error at <stdin> line 3")
    assert "not valid Python: expected an indented block" in err
    assert "copied code often loses its indentation" in err


@pytest.mark.parametrize("path, old, new, what, line", [
    (JS, "var step_size = 0.01;", "for (var i = 0; i < 1; i++) {}", "a for loop", None),
    (JS, "forwardNeuron();\n", "if (a.value > 0) { forwardNeuron(); }\n", "an if statement", None),
    (PY, "step_size = 0.01\n", "while False:\n    pass\nstep_size = 0.01\n", "a while loop", None),
    (PY, "import math\n", "import os\n", "import os", None),
    (PY, "class AddGate:", "class AddGate(MultGate):", "a class with a base class", None),
], ids=["js-for", "js-if", "py-while", "py-import", "py-base-class"])
def test_outside_the_subset_is_one_error_naming_the_construct_and_line(path, old, new, what, line):
    text = path.read_text("utf-8")
    assert old in text
    changed = text.replace(old, new, 1)
    where = changed[:changed.index(new)].count("\n") + 1
    result = invoke("-f", "-", input=changed)
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert "line %d," % where in first, first
    assert "%s is outside the Unit-and-gate code gradcli reads" % what in first
    assert "Traceback" not in result.stderr


def test_broken_javascript_is_a_syntax_error_with_its_line():
    text = JS.read_text("utf-8").replace("return this.utop;\n  },\n  backward", "return this.utop;\n  \n  backward", 1)
    result = invoke("-f", "-", input=text)
    assert result.exit_code == 2
    assert "not valid JavaScript" in result.stderr
