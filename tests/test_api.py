"""The Python API: grad, Program, Node records, errors with positions.

Expected numbers come from the formulas written out by hand here (math
module), and gradients are checked against central differences."""
import math

import pytest

import gradcli
from gradcli import GradcliError, InputError, MathError, ParseError, Program, ProgramError, Source

from . import docs


def sig(z):
    return 1 / (1 + math.exp(-z))


def neuron(a, b, c, x, y):
    return sig(a * x + b * y + c)


def central(f, point, name, h=1e-6):
    up, down = dict(point), dict(point)
    up[name] += h
    down[name] -= h
    return (f(**up) - f(**down)) / (2 * h)


NEURON = dict(a=1, b=2, c=-3, x=-1, y=3)


def test_grad_value_gradients_and_the_tutorials_numbers():
    r = gradcli.grad("sig(a*x+b*y+c)", **NEURON)
    assert r.value == pytest.approx(neuron(**NEURON), rel=1e-15)
    assert round(r.value, 4) == 0.8808  # printed by Karpathy's tutorial
    assert list(r.gradients) == ["a", "x", "b", "y", "c"]
    for name, d in r.gradients.items():
        assert d == pytest.approx(central(neuron, NEURON, name), abs=1e-8)
    assert {k: round(v, 3) for k, v in r.gradients.items()} == {
        "a": -0.105, "x": 0.105, "b": 0.315, "y": 0.21, "c": 0.105}


def test_nodes_are_every_node_in_forward_order_with_label_op_value_grad():
    r = gradcli.grad("q = a*x + b; q*q + exp(2)", a=2, x=3, b=-1)
    by_label = {n.label: n for n in r.nodes}
    assert [n.label for n in r.nodes] == ["a", "x", "a*x", "b", "q", "q*q", "2", "exp(2)", "q*q + exp(2)"]
    q = 2 * 3 - 1
    assert by_label["q"].op == "add" and by_label["q"].value == q
    assert by_label["q"].grad == 2 * q  # d(q*q)/dq: fan-out adds both uses
    assert by_label["q*q"].op == "mul" and by_label["q*q"].value == q * q
    assert by_label["a"].op == "input" and by_label["a"].grad == 2 * q * 3
    assert by_label["2"].op == "const" and by_label["2"].grad is None
    assert by_label["exp(2)"].value == math.exp(2) and by_label["exp(2)"].grad is None
    assert r.nodes[-1].grad == 1.0 and r.nodes[-1].value == q * q + math.exp(2)
    for n in r.nodes:  # arguments come first: ids are a topological order
        assert all(a < n.id for a in n.args)
        assert r.values[n.id] == n.value and r.grads[n.id] == n.grad  # a view over Result


def test_nodes_are_frozen_records():
    n = gradcli.grad("x*2", x=1).nodes[0]
    assert isinstance(n, gradcli.Node)
    with pytest.raises(AttributeError):
        n.value = 5  # type: ignore[misc]


def test_program_evaluates_many_bindings_like_fresh_grad_calls():
    p = Program("sig(a*x+b*y+c)")
    assert p.inputs == ["a", "x", "b", "y", "c"] and p.outputs == ["sig(a*x+b*y+c)"]
    for k in range(-3, 4):
        point = dict(NEURON, x=k / 2, c=k)
        r = p(**point)
        fresh = gradcli.grad("sig(a*x+b*y+c)", **point)
        assert r.value == fresh.value == pytest.approx(neuron(**point), rel=1e-14)
        assert r.gradients == fresh.gradients
        for name in point:
            assert r.gradients[name] == pytest.approx(central(neuron, point, name), abs=1e-8)


def test_program_never_parses_again(monkeypatch):
    p = Program("x*y + sin(x)")

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again")
    monkeypatch.setattr("gradcli.frontend.read", no_parsing)
    monkeypatch.setattr("gradcli.frontend.build", no_parsing)
    monkeypatch.setattr("gradcli.fastparse.parse", no_parsing)
    monkeypatch.setattr("gradcli.parse.parse_lark", no_parsing)
    r = p(x=2, y=5)
    assert r.value == 2 * 5 + math.sin(2)
    assert r.gradients == {"x": 5 + math.cos(2), "y": 2.0}


def test_program_results_stay_put_after_later_evaluations():
    p = Program("x*x")
    first = p(x=3)
    second = p(x=4)
    assert (first.value, first.gradients, second.value, second.gradients) == (9, {"x": 6}, 16, {"x": 8})
    assert first.nodes[0].value == 3


def test_program_defaults_and_overrides():
    p = Program("w = 2\nw*x")
    assert p.defaults == {"w": 2.0}
    assert p(x=5).value == 10 and p(x=5, w=3).value == 15
    assert p.evaluate({"x": 1, "w": 4})[0].gradients == {"w": 1.0, "x": 4.0}
    assert Program("x*y", bindings={"y": 7})(x=2).value == 14


def test_program_all_outputs():
    p = Program("q = x + 1; q*q; q/2")
    rs = p.evaluate({"x": 3})
    assert [(r.label, r.value, r.gradients["x"]) for r in rs] == [("q*q", 16, 8), ("q/2", 2, 0.5)]


def test_program_missing_input_names_the_place():
    p = Program("a = 1\na*x + b")
    with pytest.raises(ProgramError) as e:
        p(x=2)
    assert e.value.message == "no value for input b"
    assert e.value.position == (2, 7)


def test_program_agrees_with_grad_on_names_it_does_not_use_and_rejects_names_it_computes():
    p = Program("q = x*2\nq + y")
    # a name the outputs do not use gets the gradient 0, as in grad() and on the command line
    assert p(x=1, y=2, z=3).gradients == gradcli.grad("q = x*2\nq + y", x=1, y=2, z=3).gradients \
        == {"x": 2.0, "y": 1.0, "z": 0.0}
    assert Program("x*2").evaluate({"x": 3, "w": 2})[0].gradients == {"x": 2.0, "w": 0.0}
    assert p(x=1, y=2).gradients == {"x": 2.0, "y": 1.0}  # and the next call does not keep z
    with pytest.raises(ProgramError, match="q is computed by the program") as e:
        p(x=1, y=2, q=3)
    assert e.value.position == (1, 1)


def test_a_name_read_before_the_program_assigns_it_is_an_input_in_every_road():
    # `alpha /= w` reads the input alpha, then computes a new alpha
    text = "alpha /= w; w*2"
    want = {"alpha": 0.0, "w": 2.0}
    assert Program(text).evaluate({"alpha": 1, "w": 2})[0].gradients == want
    assert gradcli.grad(text, alpha=1, w=2).gradients == want
    from click.testing import CliRunner
    from gradcli.cli import main
    import json
    res = CliRunner().invoke(main, [text, "alpha=1", "w=2", "--json", "--no-nodes"])
    assert res.exit_code == 0 and json.loads(res.output)["gradients"] == want


@pytest.mark.parametrize("value", ["3", None, float("nan"), float("inf"), True])
def test_binding_values_must_be_finite_numbers(value):
    with pytest.raises(InputError, match="the value of x"):
        Program("x*2")(x=value)
    with pytest.raises(InputError):
        gradcli.grad("x*2", x=value)


def test_numbers_of_other_types_are_accepted():
    from fractions import Fraction
    from decimal import Decimal
    assert Program("x*2")(x=Fraction(1, 4)).value == 0.5
    assert gradcli.grad("x*2", x=Decimal("1.5")).value == 3.0


@pytest.mark.parametrize("text, cls, position, words", [
    ("a*x +", ParseError, (1, 6), "the input ends too early"),
    ("x = 1\ny = 2\nsgi(x)", ProgramError, (3, 1), "unknown function 'sgi'"),
    ("x = 1\n\nlog(x - 3)", MathError, (3, 1), "log needs an argument above 0"),
    ("sqrt(x)", ProgramError, (1, 6), "no value for input x"),
])
def test_errors_are_the_documented_classes_with_positions(text, cls, position, words):
    with pytest.raises(cls) as e:
        gradcli.grad(text)
    assert isinstance(e.value, GradcliError)
    assert e.value.position == position
    assert words in e.value.message
    assert e.value.exit_code == (1 if cls is MathError else 2)
    with pytest.raises(cls):
        Program(text).evaluate()


def test_a_joined_source_reports_each_file_and_its_own_lines():
    src = Source.join([("one.py", "x = 2\ny = 3"), ("two.py", "z = x*y\n\nlog(z - 10)")])
    with pytest.raises(MathError) as e:
        gradcli.evaluate(src)
    assert (e.value.file, e.value.position) == ("two.py", (3, 1))
    assert "at two.py line 3, column 1" in e.value.render()
    assert gradcli.evaluate(Source.join([("one.py", "x = 2\ny = 3"), ("two.py", "x*y")]))[0].value == 6


def test_a_file_ending_inside_an_expression_is_reported_in_that_file():
    src = Source.join([("one.py", "x = (2 +"), ("two.py", "x")])
    with pytest.raises(ParseError) as e:
        gradcli.evaluate(src)
    assert e.value.file == "one.py" and e.value.position[0] == 1


def test_the_public_names_resolve_and_are_documented():
    for name in gradcli.__all__:
        obj = getattr(gradcli, name)
        if callable(obj):
            assert obj.__doc__, name
    with pytest.raises(AttributeError):
        gradcli.no_such_thing  # noqa: B018


def doctest_pages():
    return [pytest.param(page, id=docs.name(page)) for page in docs.pages() if any(docs.blocks("python", page))]


@pytest.mark.parametrize("page", doctest_pages())
def test_the_python_samples_in_the_docs_run_as_written(page):
    # README.md and every docs/*.md page: each `python` block is a doctest, a
    # page's blocks run in order in one namespace (a later block uses an
    # earlier one's import), and every example must run and pass.
    import doctest
    blocks = list(docs.blocks("python", page))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    examples, globs = 0, {}
    for block in blocks:
        test = doctest.DocTestParser().get_doctest(block.text, globs, block.where, str(page), block.line)
        assert test.examples, "%s: a python block with no >>> examples" % block.where
        examples += len(test.examples)
        runner.run(test, clear_globs=False)
        globs = test.globs  # the DocTest worked on a copy
    assert runner.summarize(verbose=False) == (0, examples)


def test_the_readme_and_the_api_page_have_python_samples():
    pages = {p.id for p in doctest_pages()}
    assert {"README.md", "docs/api.md"} <= pages


# --- the step loop: gradcli.ascend and Program.ascend ------------------------------------

def neuron_grads(a, b, c, x, y):
    s = neuron(a, b, c, x, y)
    ds = s * (1 - s)  # the tutorial's sigmoid gate, then the multiply and add gates
    return dict(a=x * ds, b=y * ds, c=ds, x=a * ds, y=b * ds)


def hand_ascent(point, size, n, frozen=()):
    """The tutorial's loop written out: all inputs move at once from the same gradients."""
    states = [dict(point)]
    for _ in range(n):
        g = neuron_grads(**states[-1])
        states.append({k: v if k in frozen else v + size * g[k] for k, v in states[-1].items()})
    return states


def test_one_step_of_the_neuron_gives_the_tutorials_number():
    first, second = gradcli.ascend("sig(a*x+b*y+c)", 0.01, 1, bindings=NEURON)
    assert isinstance(first, gradcli.Step) and (first.k, second.k) == (0, 1)
    assert first.value == neuron(**NEURON) and first.change is None and first.predicted is None
    assert first.inputs == {k: float(v) for k, v in NEURON.items()}
    assert first.gradients == pytest.approx(neuron_grads(**NEURON), rel=1e-15)
    after = hand_ascent(NEURON, 0.01, 1)[1]
    assert second.inputs == pytest.approx(after, rel=1e-15)
    assert second.value == pytest.approx(neuron(**after), rel=1e-15)
    assert "%.8f" % second.value == "0.88255018"  # "circuit output after one backprop: 0.8825"
    assert second.change == pytest.approx(second.value - first.value, rel=1e-12)
    assert second.predicted == pytest.approx(0.01 * sum(d * d for d in first.gradients.values()), rel=1e-14)


def test_many_steps_follow_the_hand_written_loop():
    loop = gradcli.ascend("sig(a*x+b*y+c)", 0.01, 50, bindings=NEURON)
    steps = list(loop)
    hand = hand_ascent(NEURON, 0.01, 50)
    assert [s.k for s in steps] == list(range(51))
    for s in steps:
        assert s.inputs == pytest.approx(hand[s.k], rel=1e-13)
        assert s.value == pytest.approx(neuron(**hand[s.k]), rel=1e-13)
    assert all(later.value > earlier.value for earlier, later in zip(steps, steps[1:]))
    assert loop.start == steps[0] and loop.last == steps[-1] and loop.stopped == "steps"
    assert loop.result().value == steps[-1].value  # the full Result at the state reached
    assert list(loop) == steps  # iterating again starts again from the same bindings


def test_descent_on_a_bowl_reaches_its_minimum():
    loop = gradcli.ascend("(x-3)^2 + (y+1)^2", 0.1, 200, bindings={"x": 0, "y": 0}, descend=True)
    last = loop.run()
    # each update multiplies the distance to (3, -1) by 1 - 2*0.1
    assert last.k == 200
    assert abs(last.inputs["x"] - 3) < 1e-6 and abs(last.inputs["y"] + 1) < 1e-6
    assert last.value < 1e-12 and abs(last.gradients["x"]) < 1e-6
    x = 0.0
    for s in loop:
        assert s.inputs["x"] == pytest.approx(3 - 3 * 0.8 ** s.k, abs=1e-15)
        x = s.inputs["x"]
    assert x == last.inputs["x"]


def test_program_ascend_matches_ascend_and_leaves_the_program_alone():
    p = Program("sig(a*x+b*y+c)")
    from_program = list(p.ascend(0.01, 5, bindings=NEURON))
    assert from_program == list(gradcli.ascend("sig(a*x+b*y+c)", 0.01, 5, bindings=NEURON))
    assert list(gradcli.ascend(p, 0.01, 5, bindings=NEURON)) == from_program
    assert p(**NEURON).value == neuron(**NEURON)  # the program still starts where it was
    with pytest.raises(ProgramError, match="no value for input c"):
        p.ascend(0.01, 5, bindings=dict(a=1, b=2, x=-1, y=3))


@pytest.mark.parametrize("freeze", [["x", "y"], ("x", "y"), "x,y", "x, y"])
def test_freeze_keeps_inputs_bit_for_bit(freeze):
    point = dict(NEURON, x=-0.1, y=0.7)  # values that would not survive a round trip
    last = gradcli.ascend("sig(a*x+b*y+c)", 0.5, 30, bindings=point, freeze=freeze).run()
    assert last.inputs["x"] == -0.1 and last.inputs["y"] == 0.7
    assert last.inputs == pytest.approx(hand_ascent(point, 0.5, 30, frozen="xy")[-1], rel=1e-13)


def test_every_tol_and_output():
    ks = [s.k for s in gradcli.ascend("x*x", 0.1, 10, bindings={"x": 1}, descend=True, every=4)]
    assert ks == [0, 4, 8, 10]
    loop = gradcli.ascend("x*x", 0.1, 1000, bindings={"x": 1}, descend=True, tol=1e-6)
    last = loop.run()
    assert loop.stopped == "tol" and last.k < 1000 and abs(last.change) < 1e-6
    assert last.inputs["x"] == pytest.approx(0.8 ** last.k, rel=1e-12)
    steps = list(gradcli.ascend("q = x*x; q + 1; 3*x", 0.5, 1, bindings={"x": 1}, output="3*x"))
    assert [(s.value, s.gradients["x"]) for s in steps] == [(3.0, 3.0), (7.5, 3.0)]
    with pytest.raises(InputError, match="no output called 'z'"):
        gradcli.ascend("x*x", 0.1, bindings={"x": 1}, output="z")


@pytest.mark.parametrize("args, words", [
    (("x*x", "0.1"), "the step size must be a finite number, not '0.1'"),
    (("x*x", float("nan")), "the step size must be a finite number"),
    (("x*x", 0.1, -1), "the number of steps must be a whole number of 0 or more, not -1"),
    (("x*x", 0.1, 2.5), "the number of steps must be a whole number"),
    (("x*x", 0.1, True), "the number of steps must be a whole number"),
])
def test_wrong_arguments_are_input_errors(args, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(")):
        gradcli.ascend(*args, bindings={"x": 1})
    with pytest.raises(InputError, match="cannot freeze z"):
        gradcli.ascend("x*x", 0.1, bindings={"x": 1}, freeze="z")


def test_a_step_leaving_the_domain_raises_math_error_naming_step_and_place():
    loop = gradcli.ascend("y = 1\nlog(x) + y", 10, 5, bindings={"x": 1}, descend=True)
    seen = []
    with pytest.raises(MathError) as e:
        for s in loop:
            seen.append(s.k)
    # d log(x)/dx = 1/x: x goes 1 -> -9 at the first update
    assert seen == [0] and loop.stopped == "error" and loop.last.k == 0
    assert e.value.message.startswith("at step 1: log(x): log needs an argument above 0")
    assert e.value.position == (2, 1)
    with pytest.raises(MathError, match="overflow|too large"):
        gradcli.ascend("exp(x)", 1000, 3, bindings={"x": 1}).run()


def test_import_gradcli_stays_light_and_the_loop_is_exported():
    import subprocess
    import sys
    code = ("import sys, gradcli; light = sorted(m for m in sys.modules if m.startswith(('gradcli.', 'lark', 'rich')));"
            "print(light); print(gradcli.ascend.__module__, gradcli.Step.__module__, gradcli.Ascent.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded, where = out.splitlines()
    assert not {"'gradcli.api'", "'gradcli.steps'", "'gradcli.engine'", "'lark'", "'rich'"} & set(loaded[1:-1].split(", "))
    assert where == "gradcli.api gradcli.steps gradcli.steps"
    assert {"ascend", "Step", "Ascent"} <= set(gradcli.__all__)


@pytest.mark.parametrize("text, is_input", [
    ("t = 3", True), ("t = -3", True), ("t = +3", True), ("t = 2.5e-3", True), ("t=-3", True),
    ("var t = -1.5", True), ("t = --3", False), ("t = +-3", False), ("t = -(3)", False),
    ("t = (3)", False), ("t = - 3", False),
])
def test_a_number_binds_an_input_only_as_a_binding_writes_one(text, is_input):
    """One rule for `name = number`: the command line's pattern for a number (syntax.SIGNED_NUMBER)."""
    source = text + "; t*x"
    r = gradcli.grad(source, x=2)
    assert ("t" in r.gradients) == is_input, r.gradients
    assert (("t" in Program(source).inputs) == is_input)
    from click.testing import CliRunner
    from gradcli.cli import main
    import json
    res = CliRunner().invoke(main, [source, "x=2", "--json", "--no-nodes"])
    assert ("t" in json.loads(res.output)["gradients"]) == is_input
