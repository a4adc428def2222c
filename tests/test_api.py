"""The Python API: grad, Program, Node records, errors with positions.

Expected numbers come from the formulas written out by hand here (math
module), and gradients are checked against central differences."""
import math

import pytest

import gradcli
from gradcli import GradcliError, InputError, MathError, ParseError, Program, ProgramError, Source


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
    monkeypatch.setattr("gradcli.parse.parse", no_parsing)
    monkeypatch.setattr("gradcli.graph.build", no_parsing)
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


def test_program_rejects_names_it_does_not_have_and_names_it_computes():
    p = Program("q = x*2\nq + y")
    with pytest.raises(ProgramError, match=r"z is not an input of the program \(its inputs: x, y\)"):
        p(x=1, y=2, z=3)
    with pytest.raises(ProgramError, match="q is computed by the program") as e:
        p(x=1, y=2, q=3)
    assert e.value.position == (1, 1)


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


def test_the_readme_api_example_runs_as_written():
    import doctest
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("## Python API")[1].split("```python\n")[1].split("```")[0]
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False) == (0, 5)
