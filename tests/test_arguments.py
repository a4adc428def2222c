"""Every bad argument is a clear error: a gradcli error class, or a TypeError
that names the parameter and what it accepts. Never a silent wrong answer."""
import pytest

import gradcli
from gradcli.errors import GradcliError, InputError

BIG = 10**400


# -- the Python API ---------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: gradcli.grad("x", x=BIG),
    lambda: gradcli.grad("x", x=-BIG),
    lambda: gradcli.evaluate("x", {"x": BIG}),
    lambda: gradcli.Program("x").bind({"x": BIG}),
    lambda: gradcli.Program("x", bindings={"x": BIG}),
    lambda: gradcli.ascend("x*x", BIG, bindings={"x": 1}),
    lambda: gradcli.ascend("x*x", 0.1, 2, bindings={"x": 1}, tol=BIG),
    lambda: gradcli.Program("x*x").ascend(BIG, bindings={"x": 1}),
])
def test_a_huge_int_is_an_input_error(call):
    with pytest.raises(InputError, match="finite number"):
        call()


@pytest.mark.parametrize("call, words", [
    (lambda: gradcli.evaluate("x", 5), "bindings must be a mapping"),
    (lambda: gradcli.compile("x", 5), "bindings must be a mapping"),
    (lambda: gradcli.Program("x").bind(5), "bindings must be a mapping"),
    (lambda: gradcli.Program("x").evaluate([1]), "bindings must be a mapping"),
    (lambda: gradcli.evaluate("x", {1: 2}), "keyed by input names"),
    (lambda: gradcli.ascend("x*x", 0.1, bindings=5), "bindings must be a mapping"),
    (lambda: gradcli.grad(None), "the program must be a str"),
    (lambda: gradcli.grad(b"x"), "the program must be a str"),
    (lambda: gradcli.Program(3), "the program must be a str"),
    (lambda: gradcli.ascend(None, 0.1), "the program must be a str"),
    (lambda: gradcli.compile("x", {"x": 1}, name=5), "name must be a str"),
    (lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, freeze=None), "freeze must name inputs"),
    (lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, freeze=3), "freeze must name inputs"),
    (lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, freeze=[1]), "freeze must name inputs"),
    (lambda: gradcli.Program("x*x").ascend(0.1, bindings={"x": 1}, freeze=None), "freeze must name inputs"),
    (lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, output=5), "output must be a str"),
])
def test_a_wrong_type_is_a_type_error_naming_the_parameter(call, words):
    with pytest.raises(TypeError, match=words):
        call()


@pytest.mark.parametrize("call", [
    lambda: gradcli.ascend("x*x", "0.1", bindings={"x": 1}),
    lambda: gradcli.ascend("x*x", 0.1, 1.5, bindings={"x": 1}),
    lambda: gradcli.ascend("x*x", 0.1, -1, bindings={"x": 1}),
    lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, every=0),
    lambda: gradcli.ascend("x*x", 0.1, bindings={"x": 1}, tol=float("inf")),
    lambda: gradcli.ascend("x*x", float("nan"), bindings={"x": 1}),
    lambda: gradcli.grad("x", x="1"),
    lambda: gradcli.grad("x", x=None),
])
def test_a_wrong_value_is_a_gradcli_error(call):
    with pytest.raises(GradcliError):
        call()


def test_freeze_still_takes_a_string_a_list_or_a_tuple():
    for freeze in ("y", ["y"], ("y",), {"y"}):
        last = gradcli.ascend("x*y", 0.5, 1, bindings={"x": 1, "y": 2}, freeze=freeze).run()
        assert last.inputs == {"x": 2.0, "y": 2.0}
