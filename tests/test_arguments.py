"""Every bad argument is a clear error: a gradcli error class, or a TypeError
that names the parameter and what it accepts. Never a silent wrong answer."""
import json
import math
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.errors import GradcliError, InputError

BIG = 10**400


def run_cli(*args):
    return CliRunner().invoke(main, list(args))


def cli_ok(*args):
    r = run_cli(*args)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert r.stderr == ""
    return r.stdout


def cli_fails(*args):
    """The command's error message; usage errors exit with 2, others with 1 or more."""
    r = run_cli(*args)
    assert r.exit_code != 0 and r.stdout == "", (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return r.stderr


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


# -- input names the step loop's Python must not clash with --------------------

def _dunders():
    import builtins
    names = {n for n in dir(builtins) if n.startswith("__")}
    names |= {"__debug__", "__builtins__", "__class__", "__name__", "__file__", "__dict__",
              "__doc__", "__module__", "__qualname__", "__annotations__", "__spec__",
              "__proto__", "__x"}
    return sorted(names)


@pytest.mark.parametrize("name", _dunders())
def test_a_dunder_input_steps_like_any_other(name):
    last = gradcli.ascend("%s*%s + 1" % (name, name), 0.1, 3, bindings={name: 1}).run()
    assert last.inputs[name] == pytest.approx(1.728)


def test_python_refuses_only_debug_as_a_target_and_it_is_reserved():
    from gradcli.codegen import PYTHON_RESERVED
    refused = []
    for name in _dunders():
        try:
            compile("def f(%s):\n    %s = 1\n" % (name, name), "<test>", "exec")
        except SyntaxError:
            refused.append(name)
    assert refused == ["__debug__"]
    assert {"__debug__", "__builtins__"} <= PYTHON_RESERVED


def test_the_command_line_steps_debug_and_builtins():
    out = cli_ok("__debug__*__builtins__", "__debug__=1", "__builtins__=2", "--step", "0.1", "--steps", "5")
    assert "__builtins__" in out


# -- the step loop's options: one rule ------------------------------------------

@pytest.mark.parametrize("option", [
    ["--steps", "5"], ["--steps", "0"], ["--tol", "0"], ["--tol", "1e-9"], ["--every", "1"],
    ["--descend"], ["--freeze", "x"], ["--plot"],
])
def test_a_step_option_given_without_step_is_an_error(option):
    err = cli_fails("x*x", "x=1", *option)
    assert "only makes sense with --step" in err


@pytest.mark.parametrize("size", ["0", "-0.0", "+0", "0e5", ".0", "1e-400", "-1e-999"])
def test_a_step_of_zero_is_refused(size):
    err = cli_fails("x*x", "x=1", "--step", size)
    assert "a step of 0 moves nothing" in err


def test_a_step_of_zero_is_refused_by_the_library_too():
    with pytest.raises(InputError, match="a step of 0 moves nothing"):
        gradcli.ascend("x*x", 0.0, bindings={"x": 1})
    with pytest.raises(InputError, match="a step of 0 moves nothing"):
        gradcli.Program("x*x").ascend(-0.0, bindings={"x": 1})


@pytest.mark.parametrize("option, value", [
    ("--tol", "inf"), ("--tol", "-inf"), ("--tol", "nan"), ("--tol", "1e400"), ("--tol", "-1"),
    ("--step", "inf"), ("--step", "nan"), ("--step", "1e400"), ("--step", "-1e400"),
])
def test_a_step_option_that_is_not_finite_or_out_of_range_is_refused(option, value):
    err = cli_fails("x*x", "x=1", "--step", "0.1", option, value)
    assert option in err


def test_the_tolerance_still_stops_the_loop():
    out = cli_ok("(x-3)^2", "x=0", "--step", "0.1", "--steps", "1000", "--descend", "--tol", "1e-9")
    assert "1000" not in out.splitlines()[-1]


# -- one number syntax ---------------------------------------------------------

NOT_NUMBERS = ["1_0", "1_000", "١", "１２", "0x10", "inf", "nan", "1e", ".", "1,5", "- 1", "--1", "½", "٣.٥"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
@pytest.mark.parametrize("option", [["--step"], ["--tol"], ["--h"]])
def test_number_options_take_only_the_languages_numbers(option, text):
    mode = {"--step": [], "--tol": ["--step", "0.1"], "--h": ["--check"]}[option[0]]
    err = cli_fails("x*x", "x=1", *mode, option[0], text)
    assert option[0] in err and "not a number" in err


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_bindings_take_only_the_languages_numbers(text):
    cli_fails("x*x", "x=%s" % text)


@pytest.mark.parametrize("text", ["x*１２", "x*١", "x*1٢", "x*1.٥", "x*1e٣", "١*x"])
def test_programs_take_only_ascii_digits(text):
    with pytest.raises(gradcli.ParseError):
        gradcli.grad(text, x=1)
    cli_fails(text, "x=1")


@pytest.mark.parametrize("text", ["x*１２", "x*1.٥", "١"])
def test_both_parsers_refuse_non_ascii_digits(text):
    from gradcli import fastparse, parse, syntax
    assert not re.search(syntax.NUMBER, text.replace("x*", "").replace("1.", ""))
    assert fastparse.parse(text) is None  # the fast road gives up ...
    with pytest.raises(gradcli.ParseError):  # ... and lark's grammar refuses it
        parse.parse_lark(text)
    assert fastparse.parse("x*12") is not None


@pytest.mark.parametrize("text, value", [
    ("0.01", 0.01), ("-.5", -0.5), ("+1e-2", 0.01), ("1.", 1.0), ("2E+3", 2000.0), (" 0.5 ", 0.5),
])
def test_number_options_take_every_number_the_language_writes(text, value):
    from gradcli.cli import Number
    assert Number(nonzero=True).convert(text, None, None) == value


# -- emitted code keeps every default and every gradient --------------------------

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def emitted(lang, *args):
    return cli_ok(*args, "--emit", lang)


def test_emitted_python_keeps_a_negative_zero_default():
    ns: dict = {}
    exec(emitted("python", "x*y", "x=-0.0", "y=3"), ns)
    value, grads = ns["forward_backward"]()
    assert math.copysign(1, value) == -1 and math.copysign(1, grads["y"]) == -1
    assert grads == {"x": 3.0, "y": 0.0}


def test_emitted_python_keeps_every_gradient_of_odd_names():
    ns: dict = {}
    exec(emitted("python", "x*__proto__ + __debug__", "x=2", "__proto__=3", "__debug__=1"), ns)
    assert ns["forward_backward"]() == (7.0, {"x": 3.0, "__proto__": 2.0, "__debug__": 1.0})


def run_node(source, call):
    done = subprocess.run([NODE, "-e", source + "\nvar r = %s;\n" % call +
                           "console.log(JSON.stringify({value: r.value, neg: Object.is(r.value, -0), "
                           "keys: Object.keys(r.grads), grads: r.grads, proto: Object.getPrototypeOf(r.grads) === Object.prototype}));"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + source
    return json.loads(done.stdout)


@needs_node
def test_emitted_js_keeps_a_negative_zero_default():
    r = run_node(emitted("js", "x*y", "x=-0.0", "y=3"), "forwardBackward({})")
    assert r["neg"] and r["grads"] == {"x": 3, "y": 0}


@needs_node
def test_emitted_js_keeps_the_gradient_of_proto():
    source = emitted("js", "x*__proto__", "x=2", "__proto__=3")
    r = run_node(source, "forwardBackward({})")
    assert r["value"] == 6 and r["keys"] == ["x", "__proto__"] and r["grads"] == {"x": 3, "__proto__": 2}
    assert r["proto"]  # the gradients are a plain object, its prototype untouched
    r = run_node(source, 'forwardBackward(JSON.parse(\'{"__proto__": 5}\'))')
    assert r["value"] == 10 and r["grads"] == {"x": 5, "__proto__": 2}


def test_the_loop_itself_refuses_an_infinite_tolerance():
    from gradcli.steps import Ascent
    graph = gradcli.compile("x*x", {"x": 1})
    with pytest.raises(InputError, match="finite number of 0 or more"):
        Ascent(graph, 0.1, 3, tol=math.inf)
