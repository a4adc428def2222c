"""Code pasted from the tutorials gets the message for what it is.

Learners paste Karpathy's "Hacker's guide to Neural Networks" (Unit and
Gate objects, in JavaScript and in Python) and CS231n's notes straight into
gradcli. Each kind of line gets an error that says what the line is, where
it is, and what gradcli writes instead, in the line's own names; following
the hints one after another turns the tutorial into a program gradcli runs.
Every case goes through the real command, as the user sees it.
"""
from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.errors import GradcliError, ProgramError, StepByHand
from gradcli.repl import WORDS

from .conftest import CASES_DIR
from .test_cli import gradcli_command

PASTED = CASES_DIR / "pasted"


def stderr(*args: str, stdin: str | None = None) -> str:
    """What the user sees on stderr; the command must fail with exit 2 and print nothing else."""
    r = CliRunner().invoke(main, list(args), input=stdin, prog_name="gradcli")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    return r.stderr


def seen(where: str, message: str, line: str, caret: str, hint: str) -> str:
    """An error as the command line prints it: what and where, the line, the caret, the hint."""
    return "gradcli: %s: %s\n  %s\n  %s\nhint: %s\n" % (where, message, line, caret, hint)


SYNTAX = "syntax error at <expr> line 1, column %d"
EXPRESSIONS = "gradcli reads circuits written as expressions, not %s"


# 1. Object code: Units, gates, classes, a.value and a.grad.

@pytest.mark.parametrize("text, col, message, caret, hint", [
    ("var a = new Unit(1.0, 0.0);", 9, EXPRESSIONS % "Unit objects",
     "        ^^^^^^^^^^^^^^^^^^", "a wire is a name and its value; write: a = 1.0"),
    ("c = Unit(-3.0, 0.0)", 5, EXPRESSIONS % "Unit objects",
     "    ^^^^^^^^^^^^^^^", "a wire is a name and its value; write: c = -3.0"),
    ("class multiplyGate {", 1, EXPRESSIONS % "classes",
     "^^^^^^^^^^^^^^^^^^", "leave the class out: a multiply gate is the operator *, as in ax = a * x"),
    ("class MultGate(object):", 1, EXPRESSIONS % "classes",
     "^^^^^^^^^^^^^^", "leave the class out: a multiply gate is the operator *, as in ax = a * x"),
    ("class Unit:", 1, EXPRESSIONS % "classes",
     "^^^^^^^^^^", "leave the class out: a unit is a name and its value, as in a = 1.0"),
    ("var mulg0 = new multiplyGate();", 13, EXPRESSIONS % "gate objects",
     "            ^^^^^^^^^^^^^^^^^^", "leave the line out: a multiply gate is the operator *, as in ax = a * x"),
    ("sg0 = SigmoidGate()", 7, EXPRESSIONS % "gate objects",
     "      ^^^^^^^^^^^^^", "leave the line out: a sigmoid gate is the function sig, as in s = sig(q)"),
    ("ax = mulg0.forward(a, x)", 6, EXPRESSIONS % "gate objects",
     "     ^^^^^^^^^^^^^^^^^^^", "write the gate as its operator: ax = a * x"),
    ("axpby = addg0.forward(ax, by); // a*x + b*y = 5", 9, EXPRESSIONS % "gate objects",
     "        ^^^^^^^^^^^^^^^^^^^^^", "write the gate as its operator: axpby = ax + by"),
    ("s = sigmoidg.forward(q)", 5, EXPRESSIONS % "gate objects",
     "    ^^^^^^^^^^^^^^^^^^^", "write the gate as its operator: s = sig(q)"),
    # a name that does not tell the gate's kind (Karpathy's sg0): what each kind would be
    ("s = sg0.forward(axpbypc)", 5, EXPRESSIONS % "gate objects",
     "    ^^^^^^^^^^^^^^^^^^^^", "write the gate as its function: s = sig(axpbypc) if it is a sigmoid"),
    ("q = g.forward(a, x)", 5, EXPRESSIONS % "gate objects",
     "    ^^^^^^^^^^^^^^^", "write the gate as its operator: q = a * x if it multiplies, q = a + x if it adds"),
    ("forwardMultiplyGate(-2, 3)", 1, EXPRESSIONS % "gate functions",
     "^^^^^^^^^^^^^^^^^^^", "write the gate as its operator: -2 * 3"),
    ("sg0.backward();", 1, "sg0.backward() is not needed: gradcli does the backward pass itself",
     "^^^^^^^^^^^^^^", "leave the line out"),
    ("a.value", 1, EXPRESSIONS % "objects: a.value is a", "^^^^^^^", "write: a"),
    ("var s = a.value * x.value", 9, EXPRESSIONS % "objects: a.value is a",
     "        ^^^^^^^", "write: var s = a * x"),
    ("a.grad", 1, EXPRESSIONS % "objects; it computes the gradient a.grad itself and prints it",
     "^^^^^^", "leave the line out"),
    ("this.u0 = u0;", 1, EXPRESSIONS % "objects",
     "^^^^^^^", "leave the class out: write each gate as its operator, as in ax = a * x"),
])
def test_object_code_is_shown_as_the_expression_it_stands_for(text, col, message, caret, hint):
    assert stderr(text) == seen(SYNTAX % col, message, text, caret, hint)


def test_the_old_advice_is_gone():
    assert "write multiplication explicitly" not in stderr("var a = new Unit(1.0, 0.0);")


def test_a_hand_written_gradient_points_at_verify():
    assert stderr("a.grad += x.value * s.grad") == seen(
        SYNTAX % 1, "gradcli does the backward pass itself: it computes a.grad and prints it",
        "a.grad += x.value * s.grad", "^" * 26,
        "leave the line out; to check a backward pass written by hand, write it with d-names, "
        "as in da += x * ds, and run --verify")


# 2. Imports and prints: not needed.

@pytest.mark.parametrize("stdin, line, text, message, hint", [
    ("import math\nx*y\n", 1, "import math", "import math is not needed: gradcli has math's functions built in",
     "leave the line out; exp(x), math.exp(x) and the other functions work without it"),
    ("x = 2\nfrom math import exp\nexp(x)\n", 2, "from math import exp",
     "from math import exp is not needed: gradcli has math's functions built in",
     "leave the line out; exp(x), math.exp(x) and the other functions work without it"),
    ("s = 1\nconsole.log('circuit output: ' + s.value); // prints 0.8808\n", 2,
     "console.log('circuit output: ' + s.value); // prints 0.8808",
     "console.log is not needed: gradcli prints the values and gradients itself", "leave the line out"),
    ("s = 1\nprint(s)\n", 2, "print(s)", "print is not needed: gradcli prints the values and gradients itself",
     "leave the line out"),
])
def test_imports_and_prints_are_not_needed(stdin, line, text, message, hint):
    stmt = text.split(";")[0] if text.startswith("console") else text
    assert stderr(stdin=stdin) == seen("syntax error at <stdin> line %d, column 1" % line, message, text,
                                       "^" * len(stmt), hint)


# 3. The gradient of the output, set by hand.

@pytest.mark.parametrize("text", ["s.grad = 1.0", "s.grad = 1"])
def test_the_output_gradient_is_one_by_itself(text):
    assert stderr(text) == seen(
        SYNTAX % 1, "%s is not needed: gradcli starts the backward pass from the output by itself "
                    "(its gradient is 1)" % text, text, "^" * len(text), "leave the line out")


# 4. A step of gradient ascent, taken by hand.

ASCENT = "%s is a step of gradient ascent, which gradcli takes itself"


@pytest.mark.parametrize("args, stdin, where, line, hint", [
    # the step size as a number in the line
    (["a.value += 0.01 * a.grad"], None, SYNTAX % 1, "a.value += 0.01 * a.grad",
     "leave the line out and give the step size as --step 0.01"),
    (["a.value = a.value + a.grad * 0.05"], None, SYNTAX % 1, "a.value = a.value + a.grad * 0.05",
     "leave the line out and give the step size as --step 0.05"),
    # named, and bound by the program: that line goes too
    (["-f", "-"], "var step_size = 0.01;\na.value += step_size * a.grad; // a.grad is -0.105\n",
     "syntax error at <stdin> line 2, column 1", "a.value += step_size * a.grad; // a.grad is -0.105",
     "leave out this line and var step_size = 0.01, and give the step size as --step 0.01"),
    (["-f", "-"], "step_size = 0.02\na.value = a.value + step_size * a.grad\n",
     "syntax error at <stdin> line 2, column 1", "a.value = a.value + step_size * a.grad",
     "leave out this line and step_size = 0.02, and give the step size as --step 0.02"),
    # named, and bound on the command line
    (["a.value += step_size * a.grad", "step_size=0.03"], None, SYNTAX % 1, "a.value += step_size * a.grad",
     "leave the line out and give the step size as --step 0.03"),
    # named and bound nowhere
    (["a.value += step_size * a.grad"], None, SYNTAX % 1, "a.value += step_size * a.grad",
     "leave the line out and give the value of step_size as the step size, as in --step 0.01"),
])
def test_a_step_by_hand_is_the_step_option(args, stdin, where, line, hint):
    stmt = line.split(";")[0]
    assert stderr(*args, stdin=stdin) == seen(where, ASCENT % stmt, line, "^" * len(stmt), hint)


def test_a_step_by_hand_for_each_input_goes_as_one():
    program = "var step_size = 0.01;\na.value += step_size * a.grad;\nb.value += step_size * b.grad;\n" \
              "c.value += step_size * c.grad;\n"
    assert stderr(stdin=program).endswith(
        "hint: leave out this line, the 2 like it and var step_size = 0.01, and give the step size as --step 0.01\n")
    assert stderr("a.value += 0.01 * a.grad; b.value += 0.01 * b.grad").endswith(
        "hint: leave out this line and the line like it, and give the step size as --step 0.01\n")


def test_a_step_down_the_gradient_is_descend():
    # micrograd's spelling: p.data += -0.01 * p.grad
    for text in ("p.data += -0.01 * p.grad", "p.value -= 0.01 * p.grad"):
        assert stderr(text) == seen(SYNTAX % 1, "%s is a step of gradient descent, which gradcli takes itself" % text,
                                    text, "^" * len(text),
                                    "leave the line out and give the step size as --step 0.01 --descend")


def test_the_step_is_data_that_each_layer_words():
    with pytest.raises(StepByHand) as info:
        gradcli.grad("step_size = 0.01; a.value += step_size * a.grad")
    e = info.value
    assert (e.size, e.name, e.assigned, e.descend) == ("0.01", "step_size", "step_size = 0.01", False)
    assert e.kind == "syntax error" and e.exit_code == 2 and e.position == (1, 19)
    assert e.hint == "leave out this line and step_size = 0.01, and give the step size as step=0.01"
    assert e.render(WORDS).endswith("give the step size as :step 0.01")
    with pytest.raises(StepByHand) as info:
        gradcli.grad("a.value += step_size * a.grad")
    assert info.value.size is None
    assert info.value.bound({"step_size": -0.5}).render(WORDS).endswith(
        "leave the line out and give the step size as :descend 0.5")


# 5. e^x, with e unbound.

def test_e_to_the_x_suggests_exp():
    assert stderr("e^x", "x=1") == seen(
        "error at <expr> line 1, column 1", "no value for input e", "e^x", "^",
        "for Euler's number write exp(x) or math.e^x; for an input named e, "
        "bind it on the command line (e=1) or in the program (e = 1)")
    assert "hint: for Euler's number write exp(x+1) or math.e^(x+1), and bind y on the command line (y=1)" \
        in stderr("e**(x+1) * y", "x=1")
    with pytest.raises(ProgramError) as info:  # the same kind of error as any unbound input
        gradcli.grad("e^-x", x=1)
    assert info.value.message == "no value for input e" and info.value.kind == "error"
    assert info.value.hint.startswith("for Euler's number write exp(-x) or math.e^(-x)")


# 6. Characters from a web page or a word processor.

@pytest.mark.parametrize("text, col, what, hint", [
    ("x − y", 3, "'−' (U+2212 minus sign)", "write the ASCII '-' instead: x - y"),
    ("x × y", 3, "'×' (U+00D7 multiplication sign)", "write the ASCII '*' instead: x * y"),
    ("x · y", 3, "'·' (U+00B7 middle dot)", "write the ASCII '*' instead: x * y"),
    ("x²", 2, "'²' (U+00B2 superscript two)", "write powers with ^: x^2"),
    ("2 * x⁻¹ + y", 6, "'⁻' (U+207B superscript minus)", "write powers with ^: 2 * x^-1 + y"),
    ("a\u00a0+ b", 2, "U+00A0 (no-break space)", "write a plain space: a + b"),
])
def test_look_alike_characters_are_named_with_their_ascii(text, col, what, hint):
    caret = " " * (col - 1) + "^"
    shown = text.replace("\u00a0", "?")
    assert stderr(text, "x=1", "y=2", "a=1", "b=1") == seen(SYNTAX % col, "unexpected character " + what, shown,
                                                             caret, hint)


# 7. A decimal comma.

def test_a_decimal_comma_in_a_binding():
    r = CliRunner().invoke(main, ["x*2", "x=1,5"], prog_name="gradcli")
    assert r.exit_code == 2 and r.stderr == ("gradcli: input error: the value of x is not a number: '1,5'\n"
                                             "hint: write the decimal point as '.': x=1.5\n")


def test_numpy_code_in_a_binding_is_sent_to_the_program():
    r = CliRunner().invoke(main, ["sum(W)", "W=np.zeros((2, 2))"], prog_name="gradcli")
    assert r.exit_code == 2 and r.stderr == (
        "gradcli: input error: the value of W is not a number: 'np.zeros((2, 2))'\n"
        "hint: a binding is a number or a list, as in W=3 or W=[1,2]; an expression such as np.zeros((2, 2)) "
        "goes in the program: W = np.zeros((2, 2))\n")
    # Where the hint sends it, it runs: W is an input that starts at zeros.
    r = CliRunner().invoke(main, ["W = np.zeros((2, 2)); sum(W)", "--json", "--no-nodes"], prog_name="gradcli")
    assert r.exit_code == 0 and '"gradients": {"W": [[1.0, 1.0], [1.0, 1.0]]}' in r.stdout


def test_a_decimal_comma_in_a_program():
    assert stderr("x = 1,5; x*2").endswith("hint: write the decimal point as '.': 1.5\n")
    assert stderr("max(1,5)x").endswith("hint: write multiplication explicitly: max(1,5)*x\n")


# 8. Products written without '*'.

@pytest.mark.parametrize("text, col, message, hint", [
    ("2x", 2, "unexpected name 'x'; expected an operator or the end of the statement", "2*x"),
    ("a + 3y", 6, "unexpected name 'y'; expected an operator or the end of the statement", "3*y"),
    ("2(x+1)", 2, "unexpected symbol '('; expected an operator or the end of the statement", "2*(x+1)"),
    ("(x+1)(x-1)", 6, "unexpected symbol '('; expected an operator or the end of the statement", "(x+1)*(x-1)"),
    ("2sig(x)", 2, "unexpected name 'sig'; expected an operator or the end of the statement", "2*sig(x)"),
    ("1.5e-3x", 7, "unexpected name 'x'; expected an operator or the end of the statement", "1.5e-3*x"),
])
def test_a_product_without_a_star_shows_the_product(text, col, message, hint):
    carets = {"sig": 3}.get(message.split("'")[1], 1)
    assert stderr(text) == seen(SYNTAX % col, message, text, " " * (col - 1) + "^" * carets,
                                "write multiplication explicitly: " + hint)


def test_a_name_before_parentheses_is_a_product():
    assert stderr("x(y+1)") == seen("error at <expr> line 1, column 1", "unknown function 'x'", "x(y+1)", "^",
                                    "to multiply, write x*(y+1)")
    # a longer name that the program uses as a name
    assert stderr("rate = 2; rate(y+1)").endswith("hint: to multiply, write rate*(y+1)\n")
    # a longer name it does not: a function it lacks
    assert "hint: the functions are abs, acos" in stderr("foo(x)")


# 9. An expression that starts with '-'.

USAGE = "Usage: gradcli [OPTIONS] [EXPR] [NAME=VALUE]...\nTry 'gradcli --help' for help.\n\nError: %s\n"


@pytest.mark.parametrize("args, message", [
    (["-x^2", "x=3"], "-x^2 starts with '-', so it reads as an option; to start the expression with a minus "
                      "sign, put -- before it: gradcli -- \"-x^2\" x=3"),
    (["--json", "-3*x", "x=2", "--precision", "3"],
     "-3*x starts with '-', so it reads as an option; to start the expression with a minus sign, "
     "put -- before it: gradcli --json --precision 3 -- \"-3*x\" x=2"),
    (["-x", "x=3"], "no such option: -x; if -x is the expression, put -- before it: gradcli -- -x x=3"),
])
def test_a_leading_minus_says_to_write_dash_dash(args, message):
    assert stderr(*args) == USAGE % message


def test_a_leading_minus_through_the_installed_command():
    done = subprocess.run(gradcli_command() + ["-x^2", "x=3"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.endswith("put -- before it: gradcli -- \"-x^2\" x=3\n")
    fixed = subprocess.run(gradcli_command() + ["--json", "--", "-x^2", "x=3"], capture_output=True, text=True,
                           timeout=60)
    assert fixed.returncode == 0 and '"value": -9.0' in fixed.stdout


def test_other_unknown_options_keep_clicks_message():
    assert "No such option '--frobnicate'" in stderr("--frobnicate", "x")
    # a negative value of an option is a value, not an expression
    r = CliRunner().invoke(main, ["--step", "-0.5", "x*x", "x=1"], prog_name="gradcli")
    assert r.exit_code == 0, r.stderr


# 10. Slips of case.

@pytest.mark.parametrize("text, hint", [
    ("SIG(x)", "did you mean sig?"),
    ("Exp(x)", "did you mean exp?"),
    ("Math.Exp(x)", "did you mean exp?"),
    ("Sigmoid(x)", "did you mean sigmoid?"),
    ("TANH(x)", "did you mean tanh?"),
    ("MATH.exp(x)", "did you mean Math.exp?"),
])
def test_a_slip_of_case_is_a_suggestion(text, hint):
    name = text.split("(")[0]
    assert stderr(text, "x=1") == seen("error at <expr> line 1, column 1", "unknown function '%s'" % name, text,
                                       "^" * len(name), hint)


def test_a_constant_with_a_slip_of_case():
    assert stderr("Math.Pi * 2").endswith("hint: did you mean Math.PI?\n")


# The whole tutorial, pasted, then fixed as the hints say.

def _block_end(lines: list[str], k: int) -> int:
    """Just past the block that starts at line k: to its matching '}' in
    JavaScript, over its indented lines in Python."""
    if lines[k].rstrip().endswith(":"):
        indent = len(lines[k]) - len(lines[k].lstrip())
        j = k + 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            j += 1
        return j
    depth, j = 0, k
    while True:
        depth += lines[j].count("{") - lines[j].count("}")
        j += 1
        if depth <= 0:
            return j


def follow_the_hints(text: str) -> tuple[str, list[str]]:
    """Edit the program as each error's hint says, as a learner would, until
    gradcli runs it; return it and the options the hints asked for."""
    options: list[str] = []
    for _ in range(200):
        try:
            gradcli.evaluate(text)
            return text, options
        except GradcliError as e:
            assert e.position is not None, e.render()
            lines = text.split("\n")
            k = e.position[0] - 1
            hint = e.hint
            if isinstance(e, StepByHand):  # this line, the e.others like it, the step size's own line
                assert e.size is not None
                options = ["--step", e.size]
                steps = [j for j, line in enumerate(lines) if re.match(r"\s*\w+\.value \+= .*\.grad", line)]
                assert steps[0] == k and len(steps) == 1 + e.others
                lines = [line for j, line in enumerate(lines)
                         if j not in steps and line.strip().rstrip(";") != e.assigned]
            elif hint.startswith(("leave the class out", "leave the function out")):
                del lines[k:_block_end(lines, k)]
            elif hint.startswith("write the function's lines in the program in place of its calls"):
                end = _block_end(lines, k)
                body = lines[k + 1:end - (0 if lines[k].rstrip().endswith(":") else 1)]
                lines[k:end] = [line.strip() for line in body]
            elif hint.startswith("leave the line out") or hint.endswith("in place of the call"):
                del lines[k]
            else:
                fix = hint.rpartition(": ")[2]
                lines[k] = re.sub(r" if it (is a sigmoid|multiplies.*)$", "", fix)
            text = "\n".join(lines)
    raise AssertionError("the hints never end:\n" + text)


@pytest.mark.parametrize("name", ["neuron.js", "neuron.py"])
def test_the_tutorials_object_code_is_read_as_written(name):
    # Whole, the tutorial's code with Unit and gate objects is read as it is
    # (gates.py): its numbers, and its step of 0.01 recognised.
    r = CliRunner().invoke(main, ["-f", str(PASTED / name)])
    assert r.exit_code == 0, r.stderr
    assert "output s = 0.8808" in r.stdout.splitlines()
    assert "one step of gradient ascent, step size 0.01; the forward pass again gives s = 0.88255" in r.stdout


@pytest.mark.parametrize("name", ["neuron.js", "neuron.py"])
def test_following_the_hints_turns_the_tutorial_into_its_numbers(name, monkeypatch):
    # Pasted a line or a few at a time, object code gets hints in gradcli's own
    # language; followed one after another they turn the whole tutorial into it.
    monkeypatch.setattr("gradcli.gates.language", lambda source: None)
    program, options = follow_the_hints((PASTED / name).read_text("utf-8"))
    assert options == ["--step", "0.01"]
    r = CliRunner().invoke(main, ["-f", "-", "--json", "--no-nodes"], input=program)
    out = json.loads(r.stdout.splitlines()[0])
    assert round(out["value"], 4) == 0.8808
    grads = {k: round(v, 3) for k, v in out["gradients"].items()}
    assert grads == {"a": -0.105, "b": 0.315, "c": 0.105, "x": 0.105, "y": 0.21}
    # The tutorial's one step of gradient ascent, as --step: 0.8825.
    r = CliRunner().invoke(main, ["-f", "-"] + options + ["--json", "--no-nodes"], input=program)
    assert r.exit_code == 0, r.stderr
    assert '"value": 0.8825' in r.stdout


@pytest.mark.parametrize("name", ["neuron.js", "neuron.py"])
def test_every_line_of_the_tutorial_alone_gets_a_plain_message(name):
    for line in (PASTED / name).read_text("utf-8").splitlines():
        r = CliRunner().invoke(main, [line.strip() or "#", "x=1"], prog_name="gradcli")
        assert r.exit_code in (0, 2), (line, r.stderr)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr
        assert "write multiplication explicitly" not in r.stderr, (line, r.stderr)


def test_the_caret_stands_under_wide_characters_by_their_columns():
    # 单 and 元 each take two columns in a terminal: the carets count columns, not characters.
    err = stderr("x + 单元", "x=1")
    assert err.splitlines()[1:3] == ["  x + 单元", "      ^^"]
    err = CliRunner().invoke(main, ["-"], input="var Unit = function(value, grad) { this.value = value; "
                             "this.grad = grad; };\nvar 单元 = new Unit(1.0, 0.0);\nvar s = 单元 +;\n").stderr
    assert err.splitlines()[1:3] == ["  var s = 单元 +;", "               ^"]
