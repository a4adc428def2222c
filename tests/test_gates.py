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


# --- --verify: each gate class's backward method, and the learner's bugs --------

FORK = GATES_DIR / "tanh_fork.js"


def verify(text):
    result = invoke("--verify", "-f", "-", "--json", input=text)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def line_of(text, snippet, nth=1):
    at = -1
    for _ in range(nth):
        at = text.index(snippet, at + 1)
    return text[:at].count("\n") + 1


def swap(text, first, second):
    assert first in text and second in text
    return text.replace(first, "\0").replace(second, first).replace("\0", second)


@pytest.mark.parametrize("path", [JS, PY, FORK], ids=["js", "python", "fork"])
def test_the_seed_code_verifies(path):
    code, report = verify(path.read_text("utf-8"))
    assert code == 0 and report["ok"]
    assert all(c["status"] == "ok" for c in report["calls"])
    assert report["gradients"] and all(g["ok"] for g in report["gradients"].values())


# (file, what is written wrong, into what, class, the Unit(s) named wrong)
METHOD_BUGS = [
    (JS, "this.u0.grad += this.u1.value * this.utop.grad;", "this.u0.grad += this.u0.value * this.utop.grad;",
     "multiplyGate", "wrong", {"a", "b"}),
    (JS, "this.u1.grad += this.u0.value * this.utop.grad;", "this.u1.grad -= this.u0.value * this.utop.grad;",
     "multiplyGate", "wrong", {"x", "y"}),
    (JS, "this.u0.grad += (s * (1 - s)) * this.utop.grad;", "this.u0.grad += (s * s) * this.utop.grad;",
     "sigmoidGate", "wrong", {"axpbypc"}),
    (JS, "this.u1.grad += 1 * this.utop.grad;", "this.u1.grad += 2 * this.utop.grad;",
     "addGate", "wrong", {"by", "c"}),
    (PY, "self.u1.grad += self.u0.value*self.utop.grad", "self.u1.grad += self.u1.value*self.utop.grad",
     "MultGate", "wrong", {"x", "y"}),
    (PY, "self.u0.grad += (shankar*(1 - shankar))*self.utop.grad", "self.u0.grad += shankar*self.utop.grad",
     "SigmoidGate", "wrong", {"ax_p_by_p_c"}),
    (PY, "self.u0.grad += 1*self.utop.grad", "self.u0.grad += self.u1.value*self.utop.grad",
     "AddGate", "wrong", {"ax", "ax_p_by"}),
    (FORK, "this.u0.grad += (1 - t * t) * this.utop.grad;", "this.u0.grad += (1 - t) * this.utop.grad;",
     "tanhGate", "wrong", {"xy"}),
    (FORK, "this.u0.grad += this.n * Math.pow(this.u0.value, this.n - 1) * this.utop.grad;",
     "this.u0.grad += this.n * Math.pow(this.u0.value, this.n) * this.utop.grad;", "powGate", "wrong", {"x"}),
    # x forks: powg writes its share first; mulg's = then replaces it
    (FORK, "this.u0.grad += this.u1.value * this.utop.grad;", "this.u0.grad = this.u1.value * this.utop.grad;",
     "multiplyGate", "overwrite", {"x"}),
]


@pytest.mark.parametrize("path, old, new, cls, status, units", METHOD_BUGS,
                         ids=["js-mul-u0", "js-mul-sign", "js-sig", "js-add", "py-mul-u1", "py-sig", "py-add",
                              "fork-tanh", "fork-pow", "fork-assign"])
def test_a_wrong_backward_method_is_named_by_class_line_and_unit(path, old, new, cls, status, units):
    text = path.read_text("utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    code, report = verify(broken)
    assert code == 1 and not report["ok"]
    bad = [c for c in report["calls"] if c["status"] != "ok"]
    assert {c["unit"] for c in bad} == units
    line = line_of(text, old)  # where the change is
    for c in bad:
        assert (c["class"], c["class_line"], c["status"]) == (cls, line, status)
        assert c["message"].startswith("%s.backward, line %d: " % (cls, line))
        assert math.isclose(c["adds"], c["should_add"]) == (status == "overwrite")
    # the gradients it spoils are WRONG, and the expected share is the true one
    true = {k: g["true"] for k, g in report["gradients"].items()}
    assert any(not g["ok"] for g in report["gradients"].values())
    if status == "wrong" and path is JS and cls == "multiplyGate" and new.startswith("this.u0"):
        # a's share: d(a*x)/da * d s/d(ax) = x * 0.105, from central differences
        want = central(neuron, NEURON)["a"]
        a = next(c for c in bad if c["unit"] == "a")
        assert math.isclose(a["should_add"], want, rel_tol=1e-6) and math.isclose(true["a"], want, rel_tol=1e-6)


def test_equals_instead_of_plus_equals_is_right_until_a_unit_forks():
    text = JS.read_text("utf-8")
    fine = text.replace("this.u0.grad += 1 * this.utop.grad;", "this.u0.grad = 1 * this.utop.grad;", 1)
    code, report = verify(fine)
    assert code == 0 and report["ok"]  # no Unit of the neuron feeds two gates
    warned = [c for c in report["calls"] if c["status"] == "fragile"]
    assert {c["unit"] for c in warned} == {"ax", "axpby"}
    assert all("wrong as soon as a Unit feeds two gates" in c["message"] for c in warned)
    # the same mistake where x forks: the second share replaces the first
    fork = FORK.read_text("utf-8").replace("this.u0.grad += this.u1.value * this.utop.grad;",
                                           "this.u0.grad = this.u1.value * this.utop.grad;")
    code, report = verify(fork)
    assert code == 1
    (bad,) = [c for c in report["calls"] if c["status"] == "overwrite"]
    assert "replaces the 1 already in x.grad (from powg)" in bad["message"]
    # x's grad is then only mulg's share, y * (1 - tanh(xy)^2)
    assert math.isclose(report["gradients"]["x"]["program"], -2.0 * (1 - math.tanh(-1.0) ** 2), rel_tol=1e-12)
    assert math.isclose(report["gradients"]["x"]["true"], -2.0 * (1 - math.tanh(-1.0) ** 2) + 1.0, rel_tol=1e-12)


@pytest.mark.parametrize("path", [JS, PY], ids=["js", "python"])
def test_backward_calls_in_the_wrong_order_name_both_calls(path):
    text = path.read_text("utf-8")
    if path is JS:
        broken = swap(text, "addg1.backward(); // writes gradients into axpby and c",
                      "addg0.backward(); // writes gradients into ax and by")
    else:
        broken = swap(text, "addg1.backward()  # writes gradients into ax_p_by and c",
                      "addg0.backward()  # writes gradients into ax and by")
    code, report = verify(broken)
    assert code == 1
    (p,) = [p for p in report["problems"] if p["kind"] == "order"]
    assert p["line"] == line_of(broken, "addg0.backward()")
    assert p["message"].startswith("addg0.backward() reads addg0.utop.grad")
    assert "before addg1.backward() (line %d), which writes it, has run" % line_of(broken, "addg1.backward()") \
        in p["message"]
    assert not report["gradients"]["a"]["ok"] and report["gradients"]["a"]["program"] == 0


@pytest.mark.parametrize("path, seed", [(JS, "s.grad = 1.0;\n"), (PY, "s.grad = 1.0  # set the gradient from 0 to 1.0\n")],
                         ids=["js", "python"])
def test_a_forgotten_seed_gradient_is_named(path, seed):
    broken = path.read_text("utf-8").replace(seed, "")
    code, report = verify(broken)
    assert code == 1
    (p,) = report["problems"]
    assert p["kind"] == "seed" and p["line"] == line_of(broken, "sg0.backward()")
    assert "never sets s.grad = 1.0" in p["message"] and "every gradient comes out 0" in p["message"]
    assert all(g["program"] == 0 for name, g in report["gradients"].items())


def test_one_gate_object_for_two_gates_is_named():
    text = JS.read_text("utf-8")
    broken = text.replace("by = mulg1.forward(b, y);", "by = mulg0.forward(b, y);")
    code, report = verify(broken)
    assert code == 1
    kinds = {p["kind"]: p for p in report["problems"]}
    reused = kinds["reused"]
    assert reused["line"] == line_of(broken, "by = mulg0.forward(b, y);")
    assert "mulg0.forward is called 2 times" in reused["message"]
    assert "a, x get no gradient from it" in reused["message"]
    assert kinds["no-forward"]["message"].startswith("mulg1.backward() runs, but mulg1.forward was never called")
    assert report["gradients"]["a"]["program"] == 0 and not report["gradients"]["a"]["ok"]


def test_verify_as_people_read_it():
    text = JS.read_text("utf-8").replace("this.u0.grad += this.u1.value * this.utop.grad;",
                                         "this.u0.grad += this.u0.value * this.utop.grad;")
    result = invoke("--verify", "-f", "-", input=text)
    assert result.exit_code == 1
    out = result.stdout
    line = line_of(text, "this.u0.grad += this.u0.value")
    assert ("wrong: multiplyGate.backward, line %d: this.u0.grad += this.u0.value * this.utop.grad adds 0.105 "
            "to a (mulg0.u0); it should add d(u0.value * u1.value)/d(this.u0.value) * this.utop.grad = "
            "-1 * 0.105 = -0.105" % line) in out
    assert out.rstrip().endswith("the backward pass is wrong: the first line that goes wrong is line %d" % line)


# --- --explain in object terms -----------------------------------------------------


def explain_lines(path):
    result = invoke("-f", str(path), "--explain")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("the backward pass in object terms"))
    return [line.strip() for line in lines[start + 1:]]


def test_explain_answers_how_sg0s_grad_reaches_addg1():
    lines = explain_lines(PY)
    text = PY.read_text("utf-8")
    calls = ["sg0.backward()", "addg1.backward()", "addg0.backward()", "mulg1.backward()", "mulg0.backward()"]
    # one line for s.grad = 1.0, then one per backward call, in call order, each with its line
    assert len(lines) == 1 + len(calls)
    assert lines[0].startswith("line %d: s.grad = 1.0 sets the output" % line_of(text, "s.grad = 1.0"))
    for line, call in zip(lines[1:], calls):
        assert line.startswith("line %d: %s reads self.utop.grad = " % (line_of(text, call + "  #"), call)), line
    s = neuron(**NEURON)
    share = "%.4g" % (s * (1 - s))
    assert ("sg0.u0.grad += %s -> %s; sg0.u0 is the Unit addg1.forward returned (addg1.utop, named ax_p_by_p_c): "
            "one object, so when addg1.backward() reads self.utop.grad it reads what sg0 wrote" % (share, share)) \
        in lines[1]
    assert "reads self.utop.grad = %s (ax_p_by_p_c, written by sg0.backward())" % share in lines[2]


@pytest.mark.parametrize("path", [JS, PY], ids=["js", "python"])
def test_explain_gives_each_inputs_gradient_as_the_call_that_writes_it(path):
    lines = explain_lines(path)
    want = central(neuron, NEURON)
    me = "this" if path is JS else "self"
    for gate, fields in (("mulg1", ("b", "y")), ("mulg0", ("a", "x"))):
        (line,) = [line for line in lines if line.split(": ", 1)[1].startswith("%s.backward() reads %s.utop.grad"
                                                                                % (gate, me))]
        for field_, name in zip(("u0", "u1"), fields):
            g = "%.4g" % want[name]
            assert "%s.%s.grad += %s -> %s; %s.%s is %s, an input" % (gate, field_, g, g, gate, field_, name) in line


def test_explain_shows_a_fork_adding_up():
    lines = explain_lines(FORK)
    (mul,) = [line for line in lines if line.split(": ", 1)[1].startswith("mulg.backward() reads")]
    t = math.tanh(-1.0)
    share = -2.0 * (1 - t * t)   # y * d tanh(xy)/d xy, at x = 0.5, y = -2
    assert "mulg.u0.grad += %.4g (1 - %.4g = %.4g: x feeds 2 gates, and each adds its share)" % (
        share, -share, 1 + share) in mul
    out = json.loads(invoke("-f", str(FORK), "--json").stdout.splitlines()[0])
    assert math.isclose(out["gradients"]["x"], 1 + share, rel_tol=1e-12)


# --- the other modes work on any circuit gradcli reads -------------------------------


def fork(x, y):
    return math.tanh(x * y) + x ** 2


def test_step_on_a_circuit_climbs_as_the_gradient_says():
    result = invoke("-f", str(FORK), "--step", "0.1", "--steps", "3", "--json")
    assert result.exit_code == 0, result.output
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"step"')]
    point = dict(x=0.5, y=-2.0)
    for s in steps:
        assert math.isclose(s["value"], fork(**point), rel_tol=1e-12)
        grads = central(fork, point)
        for k in point:
            assert math.isclose(s["inputs"][k], point[k], rel_tol=1e-9)
            assert math.isclose(s["gradients"][k], grads[k], rel_tol=1e-6)
        point = {k: v + 0.1 * s["gradients"][k] for k, v in point.items()}
    assert len(steps) == 4


@pytest.mark.parametrize("path", [JS, PY, FORK], ids=["js", "python", "fork"])
def test_check_on_a_circuit_agrees_with_central_differences(path):
    result = invoke("-f", str(path), "--check", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and all(v["verdict"] == "good" for v in report["inputs"].values())


def test_dot_on_a_circuit_labels_the_fork_with_each_share():
    from . import dotlang
    result = invoke("-f", str(FORK), "--dot", "--precision", "17")
    assert result.exit_code == 0, result.output
    (graph,) = dotlang.parse(result.stdout)
    x = next(name for name, attrs in graph.nodes.items() if "label" in attrs and not isinstance(attrs["label"], str) and attrs["label"].lines()[0] == "x")
    shares = sorted(float(attrs["label"].red()[0]) for tail, head, attrs in graph.edges if tail == x)
    t = math.tanh(-1.0)
    assert len(shares) == 2
    assert math.isclose(shares[0], -2.0 * (1 - t * t), rel_tol=1e-12) and math.isclose(shares[1], 2 * 0.5)


def test_a_python_circuit_of_own_gates_with_a_fork():
    text = """import math
class Unit:
    def __init__(self, value, grad):
        self.value = value
        self.grad = grad
class ExpGate:
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(math.exp(u0.value), 0.0)
        return self.utop
    def backward(self):
        self.u0.grad += self.utop.value * self.utop.grad
class MulGate:
    def forward(self, u0, u1):
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value * u1.value, 0.0)
        return self.utop
    def backward(self):
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad
w = Unit(0.3, 0.0)
e = ExpGate()
m = MulGate()
ew = e.forward(w)
f = m.forward(ew, w)
f.grad = 1.0
m.backward()
e.backward()
"""
    # a, b = ... is outside the subset: one error naming it
    result = invoke("-f", "-", input=text)
    assert result.exit_code == 2
    assert "line 15, column 9: assigning to a tuple is outside the Unit-and-gate code" in result.stderr.splitlines()[0]
    text = text.replace("self.u0, self.u1 = u0, u1", "self.u0 = u0\n        self.u1 = u1")
    result = invoke("-f", "-", "--json", input=text)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.splitlines()[0])
    def g(w):
        return math.exp(w) * w
    assert out["output"] == "f" and math.isclose(out["value"], g(0.3), rel_tol=1e-12)
    assert math.isclose(out["gradients"]["w"], central(g, {"w": 0.3})["w"], rel_tol=1e-7)
    code, report = verify(text)
    assert code == 0 and report["gradients"]["w"]["ok"]


# --- hostile code: one plain error, never a hang or a traceback ---------------------

UNIT_JS = "var Unit = function (v, g) { this.value = v; this.grad = g; };\n"


@pytest.mark.parametrize("text, message", [
    (UNIT_JS + "var f = function () { return f(); };\nvar u = new Unit(f(), 0);\n",
     "calls go more than 40 deep (a function that calls itself?)"),
    (UNIT_JS + "".join("var f%d = function (x) { return f%d(x) + f%d(x); };\n" % (k, k + 1, k + 1) for k in range(30))
     + "var f30 = function (x) { return x; };\nvar u = new Unit(f0(2), 0);\n",
     "gradcli reads circuits of a few gates"),
    (UNIT_JS + "var m = function (x) { return x + x; };\nvar u = new Unit(m(m(m(m(m(m(m(m(m(m(m(m(m(m(m(m(m(m(2)))))))))))))))))), 0);\n",
     "gradcli reads circuits of a few gates"),
    (UNIT_JS + "var u = new Unit(Math.log(-1), 0);\n", "log needs an argument above 0"),
    (UNIT_JS + "var u = new Unit(1, 0);\nu.foo.bar = 2;\n", "u has no field foo"),
    (UNIT_JS + "var q = new Thing(1);\n", "Thing is not defined"),
    ("class Unit:\n    def __init__(self, v, g):\n        self.value = v\n        self.grad = g\nu = Unit(1.0, 0.0)\n"
     "u.value = u.grad + 'text'\n", "is text, and gradcli computes with numbers"),
], ids=["recursion", "exponential-work", "exponential-size", "domain", "no-field", "undefined", "text"])
def test_hostile_gate_code_is_one_plain_error(text, message):
    result = invoke("-f", "-", input=text)
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("gradcli: ") and "Traceback" not in result.stderr
    assert message in result.stderr.splitlines()[0]


def test_a_program_that_mentions_objects_in_comments_stays_in_gradclis_language():
    result = invoke("-f", "-", "x=1", "y=2", "--json", "--no-nodes",
                    input="// as the tutorial writes: new Unit(1.0, 0.0)\n# class Unit:\nx*y\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gradients"] == {"x": 2.0, "y": 1.0}


def test_gate_code_of_more_than_a_megabyte_is_refused():
    text = JS.read_text("utf-8") + "\n// " + "x" * (1 << 20)
    result = invoke("-f", "-", input=text)
    assert result.exit_code == 2
    assert "gradcli reads such circuits up to 1048576" in result.stderr


@pytest.mark.parametrize("text, name, line", [
    ("class Unit:\n    def __init__(self, v, g):\n        self.value = v\n        self.grad = g\n\n"
     "class Logger:\n    def log(self, x):\n        return x\n\nu = Unit(1.0, 0.0)\n", "Logger", 6),
    (UNIT_JS + "var Foo = function () { this.q = 1; };\nvar f = new Foo();\nvar u = new Unit(1, 0);\n", "Foo", 2),
], ids=["python", "js"])
def test_an_unrelated_class_is_one_error_with_its_line(text, name, line):
    result = invoke("-f", "-", input=text)
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert "the class %s, neither a Unit (value and grad) nor a gate (forward and backward), is outside" % name in first
    assert "line %d," % line in first


def test_a_gate_without_a_backward_method_is_named_where_it_is_called():
    text = JS.read_text("utf-8").replace("  backward: function() {\n    // take the gradient", "  back: function() {\n    //", 1)
    result = invoke("-f", "-", input=text)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("gradcli: error at <stdin> line %d" % line_of(text, "mulg1.backward()"))
    assert lines[0].endswith("mulg1 has no field backward")
    assert lines[-1] == "hint: mulg1 (a multiplyGate) has u0, u1, utop, back, forward"


def test_a_backward_call_left_out_and_no_backward_pass_at_all():
    text = JS.read_text("utf-8")
    broken = text.replace("addg1.backward(); // writes gradients into axpby and c", "")
    code, report = verify(broken)
    assert code == 1
    (p,) = report["problems"]
    assert p["kind"] == "order" and p["line"] == line_of(broken, "addg0.backward()")
    assert "but addg1.backward(), which writes it, is never called" in p["message"]
    start = text.index("s.grad = 1.0;")
    none = text[:start] + "\n".join(line for line in text[start:].splitlines() if ".backward()" not in line)
    code, report = verify(none)
    assert code == 1
    (p,) = report["problems"]
    assert p["kind"] == "no-backward" and "calls no gate's backward method" in p["message"]


def test_the_readers_and_the_walk_have_no_way_to_run_code():
    from pathlib import Path
    import gradcli as package
    root = Path(package.__file__).parent
    for name in ("gates", "circuit", "pygates", "jsgates", "gatecheck", "gateview", "gateemit"):
        text = (root / (name + ".py")).read_text("utf-8")
        import re
        for word in (r"eval\(", r"exec\(", r"compile\(", r"subprocess", r"os\.system", r"__import__", r"importlib"):
            assert not re.search(r"(?<![\w.])" + word, text), (name, word)  # re.compile is a pattern, not code


# Found by fuzzing the readers: each was an internal error, a hang or a wrong answer.

UNIT_JS = "var Unit = function(value, grad) { this.value = value; this.grad = grad; };\n"
UNIT_PY = "class Unit:\n    def __init__(self, value, grad):\n        self.value = value\n        self.grad = grad\n"


def run_file(tmp_path, name, text, *args):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    r = CliRunner().invoke(main, ["-f", str(path), *args])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    return r


def test_an_object_given_value_and_grad_one_at_a_time_must_hold_numbers(tmp_path):
    text = UNIT_JS + "var a = new Unit(1.0, 0.0);\nvar G = function() { };\nvar g = new G();\n" \
                     "g.value = 1;\ng.grad = g;\ng.grad = 2;\n"
    r = run_file(tmp_path, "late.js", text)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[:3] == [
        "gradcli: error at %s line 6, column 1: a Unit's value and grad must be numbers" % (tmp_path / "late.js"),
        "  g.grad = g;", "  ^^^^^^^^^^^"]
    assert "hint: make Units with new Unit(value, grad), both numbers" in r.stderr


def test_an_object_that_becomes_a_unit_in_a_method_is_an_input_by_its_variables_name():
    text = UNIT_JS + ("var W = function() { };\nW.prototype.init = function(v) { this.value = v; this.grad = 0.0; };\n"
                      "var mulGate = function() { };\nmulGate.prototype = {\n"
                      "  forward: function(u0, u1) { this.u0 = u0; this.u1 = u1;\n"
                      "    this.utop = new Unit(u0.value * u1.value, 0.0); return this.utop; },\n"
                      "  backward: function() { } };\n"
                      "var a = new Unit(2.0, 0.0);\nvar w = new W();\nw.init(5.0);\nvar s = new mulGate().forward(a, w);\n")
    r = CliRunner().invoke(main, ["-", "--json", "--no-nodes"], input=text)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"output": "s", "value": 10.0, "gradients": {"a": 5.0, "w": 2.0}}
    r = CliRunner().invoke(main, ["-", "w=3", "--json", "--no-nodes"], input=text)  # a binding sets it, by that name
    assert r.exit_code == 0 and json.loads(r.stdout)["value"] == 6.0


def test_an_object_literal_gate_is_told_to_be_made_with_new():
    text = UNIT_JS + ("var g = { forward: function(u) { return new Unit(u.value, 0.0); }, backward: function() { } };\n"
                      "var a = new Unit(1.0, 0.0);\nvar s = g.forward(a);\n")
    r = CliRunner().invoke(main, ["-"], input=text)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].endswith(
        "line 4, column 9: g is an object literal; gradcli reads gate objects made with new")
    assert "hint: write a constructor and its prototype: var G = function() { }; " in r.stderr


@pytest.mark.parametrize("head, line, value", [
    (UNIT_PY + "from math import exp, log as ln\n", "b = Unit(exp(a.value) + ln(2.0), 0.0)\n", math.e + math.log(2)),
    (UNIT_PY + "import math as m\n", "b = Unit(m.exp(a.value) * math.tau, 0.0)\n", math.e * math.tau),
    (UNIT_JS, "var b = new Unit(Math.exp(a.value) * Math.LN2 + Math.LOG10E, 0.0);\n",
     math.e * 0.6931471805599453 + 0.4342944819032518),
])
def test_math_imports_and_constants_read_as_python_and_javascript_define_them(head, line, value):
    make = "a = Unit(1.0, 0.0)\n" if head.startswith("class") else "var a = new Unit(1.0, 0.0);\n"
    r = CliRunner().invoke(main, ["-", "--json", "--no-nodes"], input=head + make + line)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["value"] == value


@pytest.mark.parametrize("text, message", [
    (UNIT_PY + "a = Unit(math.inf, 0.0)\n", "math.inf is not a value a Unit can take here"),
    (UNIT_JS + "var a = new Unit(Math.tau, 0.0);\n", "Math.tau is not a function gradcli knows"),  # JavaScript has none
    (UNIT_PY + "from math import *\na = Unit(1.0, 0.0)\n", "from math import * is outside the Unit-and-gate code"),
])
def test_what_math_does_not_give_is_refused_at_its_place(text, message):
    r = CliRunner().invoke(main, ["-"], input=text)
    assert r.exit_code == 2 and message in r.stderr.splitlines()[0] and "Traceback" not in r.stderr


def test_a_nul_byte_in_python_gate_code_is_shown_where_it_is():
    r = CliRunner().invoke(main, ["-"], input=UNIT_PY + "a = Unit(1.0, 0.0)\nb = Unit(\0 2, 0)\n")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[:3] == ["gradcli: syntax error at <stdin> line 6, column 10: unexpected character U+0000",
                                         "  b = Unit(? 2, 0)", "           ^"]


def test_a_python_expression_too_deep_to_parse_says_so_not_that_it_is_invalid():
    r = CliRunner().invoke(main, ["-"], input=UNIT_PY + "a = Unit(1.0, 0.0)\nb = Unit(%s, 0.0)\n"
                           % "+".join(["a.value"] * 5000))
    assert r.exit_code == 2 and "not valid Python" not in r.stderr
    assert "nests too deeply for gradcli to read Unit-and-gate code" in r.stderr


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_python_gate_code_with_carriage_returns_reads_as_lines(tmp_path, ending):
    text = (UNIT_PY + "a = Unit(2.0, 0.0)\nb = a +\n").replace("\n", ending)
    r = run_file(tmp_path, "cr.py", text)
    assert r.exit_code == 2 and "line 6, column 8: not valid Python" in r.stderr
    assert "  b = a +\n         ^" in r.stderr
    r = run_file(tmp_path, "cr.py", (PY.read_text("utf-8")).replace("\n", ending), "--json")
    assert r.exit_code == 0 and round(json.loads(r.stdout.splitlines()[0])["value"], 4) == 0.8808


def test_an_expression_file_with_old_mac_line_endings_reads_as_lines(tmp_path):
    r = run_file(tmp_path, "cr.txt", "x = 2\ry = x*x\r", "--json", "--no-nodes")
    assert r.exit_code == 0 and json.loads(r.stdout) == {"output": "y", "value": 4.0, "gradients": {"x": 4.0}}


def test_names_outside_ascii_are_kept_in_every_kind_of_emitted_code(tmp_path):
    text = UNIT_JS + ("var g = function() { };\ng.prototype = {\n"
                      "  forward: function(u0, u1) { this.u0 = u0; this.u1 = u1;\n"
                      "    this.utop = new Unit(u0.value * u1.value, 0.0); return this.utop; },\n"
                      "  backward: function() { this.u0.grad += this.u1.value * this.utop.grad;\n"
                      "    this.u1.grad += this.u0.value * this.utop.grad; } };\n"
                      "var é = new Unit(2.0, 0.0);\nvar 单元 = new Unit(3.0, 0.0);\nvar s = new g().forward(é, 单元);\n")
    for kind in ("python", "js", "python-gates", "js-gates"):
        r = run_file(tmp_path, "names.js", text, "--emit", kind)
        assert r.exit_code == 0, r.stderr
        assert "é" in r.stdout and "单元" in r.stdout
    namespace: dict = {}
    exec(run_file(tmp_path, "names.js", text, "--emit", "python").stdout, namespace)
    value, grads = namespace["forward_backward"]()
    assert value == 6.0 and grads == {"é": 3.0, "单元": 2.0}
    r = run_file(tmp_path, "names.js", text, "--step", "0.1", "--steps", "1", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["gradients"] == {"é": 3.0, "单元": 2.0}


@pytest.mark.parametrize("name, literal, shown", [
    ("big.py", "1" + "0" * 309, "1000000000...000000 (310 digits)"),
    ("big.js", "0x1" + "0" * 256, "0x10000000...000000 (257 digits)"),
    ("big.js", "1e400", "1e400"),
])
def test_a_number_too_large_for_double_precision_is_refused_at_its_place(tmp_path, name, literal, shown):
    head, make = (UNIT_PY, "a = Unit(%s, 0.0)\n") if name.endswith(".py") else (UNIT_JS, "var a = new Unit(%s, 0.0);\n")
    r = run_file(tmp_path, name, head + make % literal)
    assert r.exit_code == 2
    first = r.stderr.splitlines()[0]
    assert first.endswith(": the number %s is too large for double precision" % shown)
    assert "hint: numbers must be below about 1.8e308" in r.stderr


def test_a_long_chain_of_gates_on_a_constant_takes_no_time(tmp_path):
    # Written out, each squaring of the constant doubles its expression: 2^40 operations at 40.
    text = UNIT_PY + ("class One:\n    def forward(self):\n        self.utop = Unit(1.0, 0.0)\n"
                      "        return self.utop\n    def backward(self):\n        pass\n"
                      "class Square:\n    def forward(self, u0):\n        self.u0 = u0\n"
                      "        self.utop = Unit(u0.value * u0.value, 0.0)\n        return self.utop\n"
                      "    def backward(self):\n        self.u0.grad += 2 * self.u0.value * self.utop.grad\n"
                      "class Mul:\n    def forward(self, u0, u1):\n        self.u0 = u0\n        self.u1 = u1\n"
                      "        self.utop = Unit(u0.value * u1.value, 0.0)\n        return self.utop\n"
                      "    def backward(self):\n        pass\n"
                      "x = Unit(3.0, 0.0)\nc = One().forward()\n" + "c = Square().forward(c)\n" * 40 +
                      "s = Mul().forward(x, c)\n")
    r = run_file(tmp_path, "chain.py", text, "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["output"], out["value"], out["gradients"]) == ("s", 3.0, {"x": 1.0})
    # The constant is read as its number, under the name of the Unit that holds it.
    assert [(n["label"], n["op"], n["value"]) for n in out["nodes"]] == [
        ("x", "input", 3.0), ("c", "const", 1.0), ("s", "mul", 3.0)]


def test_a_gate_that_hands_back_its_input_leaves_it_an_input():
    text = UNIT_JS + ("var idGate = function() { };\nidGate.prototype = {\n"
                      "  forward: function(u0) { this.u0 = u0; this.utop = u0; return this.utop; },\n"
                      "  backward: function() { } };\n"
                      "var a = new Unit(3.0, 0.0);\nvar s = new idGate().forward(a);\n")
    r = CliRunner().invoke(main, ["-", "--json", "--no-nodes"], input=text)
    assert r.exit_code == 0 and json.loads(r.stdout) == {"output": "a", "value": 3.0, "gradients": {"a": 1.0}}


def test_an_overflow_in_gate_code_is_called_an_overflow():
    r = CliRunner().invoke(main, ["-"], input=UNIT_PY + "a = Unit(10.0, 0.0)\nb = Unit(a.value ** 400, 0.0)\n")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0].endswith(
        "line 6, column 10: a.value ** 400: the result is too large for double precision (above 1.8e308)")


def test_a_constructor_called_without_new_is_told_at_the_call():
    r = CliRunner().invoke(main, ["-"], input=UNIT_JS + "var a = Unit(1.0, 0.0);\n")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "gradcli: error at <stdin> line 2, column 9: Unit is called without new, so this in its body is no object",
        "  var a = Unit(1.0, 0.0);", "          ^^^^^^^^^^^^^^",
        "hint: make objects with new, as in new Unit(1.0, 0.0)"]


def test_a_unit_made_with_one_argument_is_told_which_field_has_none():
    r = CliRunner().invoke(main, ["-"], input=UNIT_JS + "var a = new Unit(1.0);\n")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].endswith("line 2, column 9: a Unit's value and grad must be numbers: grad has none")
    assert "hint: give both as numbers, as in new Unit(1.0, 0.0)" in r.stderr
