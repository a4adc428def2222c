"""--verify: a hand-written backward pass, checked line by line."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.errors import ProgramError
from gradcli.errors import Source
from gradcli.frontend import backward_start, read


def split_backward(text):
    """(forward names, backward names) of a program."""
    program = read(Source(text))
    forward, backward = program.split(backward_start(program))
    return list(forward.name), list(backward.name)
from gradcli.verify import verify

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cs231n_backprop.py"
SOURCE = EXAMPLE.read_text()


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_the_cs231n_backward_pass_verifies():
    report = verify(SOURCE)
    assert report.ok and len(report.lines) == 12
    assert all(v.status == "ok" for v in report.lines)
    grads = {v.name: v.claimed for v in report.gradients}
    # Independent answer: central differences of f(x, y) at (3, -4).
    import math
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    f = lambda x, y: (x + sig(y)) / (sig(x) + (x + y) ** 2)  # noqa: E731
    assert abs(grads["dx"] - central(lambda x: f(x, -4), 3)) < 1e-8
    assert abs(grads["dy"] - central(lambda y: f(3, y), -4)) < 1e-8
    assert round(grads["dx"], 3) == 2.06 and round(grads["dy"], 3) == 1.592


def test_a_broken_line_is_flagged_and_blamed():
    broken = SOURCE.replace("dxpy = (2 * xpy) * dxpysqr", "dxpy = (xpy) * dxpysqr")
    report = verify(broken)
    assert not report.ok
    by_line = {v.line: v for v in report.lines}
    assert by_line[27].status == "wrong" and by_line[27].expected == pytest.approx(1.5831868945451870)
    assert ("dxpy should be (2 * xpy^(2 - 1)) * dxpysqr = (2 * (-1)^(2 - 1)) * (-0.7916) = 1.583 "
            "(through xpysqr); this line gives 0.7916") in by_line[27].message
    # Lines that use dxpy have the right formula: they inherit the error.
    assert by_line[29].status == by_line[30].status == "inherited"
    assert "wrong since line 27" in by_line[29].message
    wrong = {v.name: v for v in report.gradients if not v.ok}
    assert set(wrong) == {"dxpy", "dx", "dy"}
    assert wrong["dx"].first_wrong == 27 and wrong["dx"].true == pytest.approx(2.0595697)


def test_equals_where_the_fork_needs_plus_equals_is_named():
    broken = SOURCE.replace("dx += (1) * dnum", "dx = (1) * dnum")
    report = verify(broken)
    (bad,) = [v for v in report.lines if v.status != "ok"]
    assert bad.line == 34 and bad.status == "fork"
    assert bad.message.startswith("fork bug: `=` where the fork needs `+=`")
    assert "what lines 29, 32 added" in bad.message
    (dx,) = [v for v in report.gradients if not v.ok]
    assert dx.name == "dx" and dx.first_wrong == 34 and round(dx.claimed, 4) == 0.5121


def test_a_missing_contribution_is_listed():
    broken = SOURCE.replace("dy += ((1 - sigy) * sigy) * dsigy", "")
    report = verify(broken)
    assert all(v.status == "ok" for v in report.lines)
    (dy,) = [v for v in report.gradients if not v.ok]
    assert dy.first_wrong is None and dy.message == "missing: 0.009046 (through sigy)"


def test_a_line_using_an_unfinished_gradient():
    # da uses dq before the second contribution to q (through f) is added.
    prog = "a = 1; x = 2; q = a*x; p = q*q; f = p + q\ndp = 1\ndq = 2*q*dp\nda = x*dq\ndq += 1\n"
    report = verify(prog)
    by = {v.line: v for v in report.lines}
    assert [v.status for v in report.lines] == ["ok", "ok", "inherited", "ok"]
    assert "dq = 4 is not complete yet: its true value is 5" in by[4].message
    assert {v.name: v.ok for v in report.gradients} == {"dp": True, "dq": True, "da": False}
    assert [v.first_wrong for v in report.gradients if not v.ok] == [4]


def test_split_rule():
    forward, backward = split_backward("x = 3; den = x + 1; dot = den * x; f = dot / den\nddot = 1 / den\n"
                                       "dden = -dot / den^2\ndx = den * ddot; dx += dden")
    assert forward == ["x", "den", "dot", "f"]
    assert backward == ["ddot", "dden", "dx", "dx"]
    # A `dx` that a later forward statement reads is a forward name.
    forward, backward = split_backward("x = 1; dx = 2*x; f = dx*x")
    assert backward == [] and len(forward) == 3
    # `dy` for a name that is not in the forward pass ends nothing.
    assert split_backward("x = 1; f = x*x; dy = 2")[1] == []


def test_default_mode_reports_the_forward_output():
    (r,) = gradcli.evaluate(SOURCE)
    assert r.label == "f" and round(r.value, 3) == 1.546
    assert r.gradients["x"] == pytest.approx(2.0595697, rel=1e-6)
    assert any("line 19 on is a hand-written backward pass (12 statements)" in n for n in r.notes)


def test_errors():
    with pytest.raises(ProgramError, match="no hand-written backward pass"):
        verify("x = 1; f = x*x")
    with pytest.raises(ProgramError, match="dq is used before the backward pass assigns it"):
        verify("x = 2; q = x*x; f = q + 1\ndx = 2*x*dq\ndq = 1")


def test_cli_exit_codes_and_json(tmp_path):
    res = CliRunner().invoke(main, ["--verify", "-f", str(EXAMPLE)])
    assert res.exit_code == 0, res.output
    assert "every claimed gradient is right" in res.output
    assert "dx += ((1 - sigx) * sigx) * dsigx" in res.output
    bad = tmp_path / "bad.py"
    bad.write_text(SOURCE.replace("dx += (1) * dnum", "dx = (1) * dnum"))
    res = CliRunner().invoke(main, ["--verify", "-f", str(bad), "--json"])
    assert res.exit_code == 1
    d = json.loads(res.output)
    assert d["ok"] is False and d["gradients"]["dx"]["first_wrong_line"] == 34
    assert [l["status"] for l in d["lines"]].count("fork") == 1
    res = CliRunner().invoke(main, ["--verify", "-f", str(bad)])
    assert res.exit_code == 1 and "the first statement that went wrong is line 34" in res.output
    # Karpathy's neuron with the "backprop ninja" pass, in JavaScript, from the command line.
    ninja = ("var a = 1; var b = 2; var c = -3; var x = -1; var y = 3;\n"
             "var q = a*x + b*y + c; var f = sig(q);\n"
             "var df = 1; var dq = (f * (1 - f)) * df;\n"
             "var da = x * dq; var dx = a * dq; var dy = b * dq; var db = y * dq; var dc = 1.0 * dq;\n")
    res = CliRunner().invoke(main, ["--verify", ninja])
    assert res.exit_code == 0, res.output
    assert "0.105" in res.output and "0.315" in res.output


def test_equals_that_restarts_a_gradient():
    # Setting dx twice to its whole gradient is redundant, not wrong.
    report = verify("x = 1; f = x*x\ndx = 2*x\ndx = 2*x")
    assert report.ok and [v.status for v in report.lines] == ["ok", "ok"]
    # One gate's contribution is checked as one piece; the statement keeps its parentheses.
    report = verify("x = 1; f = x*x + x\ndx = (2*x + 1)")
    assert report.ok and report.lines[0].text == "dx = (2*x + 1)" and report.lines[0].value == 3.0
    # Wire by wire: the `+ x` wire, then both wires of x*x at once.
    report = verify("x = 3; f = x*x + x\ndx = 1\ndx += 2*x")
    assert report.ok and [v.status for v in report.lines] == ["ok", "ok"]
    report = verify("x = 3; f = x*x + x\ndx = 2\ndx += 2*x")
    assert [v.status for v in report.lines] == ["wrong", "ok"] and not report.ok
    assert report.lines[0].message == (
        "wrong: dx should be 1 * df = 1 * 1 = 1 (through f = x*x + x, use 1 of 3), or a sum of its 3 wires; "
        "this line gives 2")
    with pytest.raises(ProgramError, match="unknown name y: neither a name of the forward pass"):
        verify("x = 1; f = x*x\ndx = 2*y")


# --- wires: each use of a node by a gate carries its own share -------------------

def statuses(text, **bindings):
    report = verify(text, bindings)
    return report.ok, [v.status for v in report.lines], [v.message for v in report.lines]


def test_the_ninjas_fork_one_wire_at_a_time_or_the_whole_gate():
    # "Becoming a backprop ninja": x = a*a sends a gradient back along both wires.
    ok, status, messages = statuses("x = a*a\nda = a * dx\nda += a * dx\n", a=1.5)
    assert ok and status == ["ok", "ok"]
    assert messages == ["ok: through x = a*a, use 1 of 2", "ok: through x = a*a, use 2 of 2"]
    ok, status, messages = statuses("x = a*a\nda = 2 * a * dx\n", a=1.5)
    assert ok and messages == ["ok: through x = a*a, both uses"]
    # One wire only: the gradient misses the other's share.
    report = verify("x = a*a\nda = a * dx\n", {"a": 1.5})
    assert not report.ok and report.lines[0].status == "ok"
    assert report.gradients[0].message == "missing: 1.5 (through x = a*a, use 2 of 2)"


def test_dx_equals_dx_plus_is_the_same_as_plus_equals():
    text = "q = a*b; f = q + a\ndq = 1.0*df; da = 1.0*df; da = da + b*dq; db = a*dq"
    ok, status, _ = statuses(text, a=2, b=3)
    assert ok and status == ["ok"] * 4
    # ... and `=` for the second wire is still the fork bug.
    ok, status, messages = statuses(text.replace("da = da + b*dq", "da = b*dq"), a=2, b=3)
    assert not ok and status[2] == "fork" and messages[2].startswith("fork bug: `=` where the fork needs `+=`")


def test_several_gates_at_once_and_a_total():
    ok, _, messages = statuses("q = a*b; f = q + a*a\ndq = df; da = 2*a*df + b*dq; db = a*dq", a=1.5, b=2)
    assert ok and messages[1] == "ok: through f = q + a*a, both uses; through q"
    ok, _, _ = statuses("q = a*b; f = q + a*a\ndq = df; da = 2*a + b; db = a", a=1.5, b=2)
    assert ok


def test_cs231n_names_dfdx_and_df_dx_verify_as_written():
    block = ("x = -2; y = 5; z = -4\n"
             "# perform the forward pass\n"
             "q = x + y # q becomes 3\n"
             "f = q * z # f becomes -12\n"
             "# perform the backward pass (backpropagation) in reverse order:\n"
             "# first backprop through f = q * z\n"
             "dfdz = q # df/dz = q, so gradient on z becomes 3\n"
             "dfdq = z # df/dq = z, so gradient on q becomes -4\n"
             "# now backprop through q = x + y\n"
             "dfdx = 1.0 * dfdq # dq/dx = 1. And the multiplication here is the chain rule!\n"
             "dfdy = 1.0 * dfdq # dq/dy = 1\n")
    report = verify(block)
    assert report.ok and report.output == "f"
    assert {v.name: v.claimed for v in report.gradients} == {"dfdz": 3.0, "dfdq": -4.0, "dfdx": -4.0,
                                                             "dfdy": -4.0}
    underscored = re.sub(r"\bdfd(\w)", r"df_d\1", block)
    assert "df_dx = 1.0 * df_dq" in underscored and verify(underscored).ok
    broken = verify(block.replace("dfdx = 1.0 * dfdq", "dfdx = 2.0 * dfdq"))
    assert [v.status for v in broken.lines] == ["ok", "ok", "wrong", "ok"]
    assert broken.lines[2].message == ("wrong: dfdx should be 1 * dq = 1 * (-4) = -4 (through q); "
                                       "this line gives -8")


def test_a_wrong_line_says_what_it_should_be_from_the_rule():
    source = EXAMPLE.read_text()
    broken = source.replace("dden = (-1.0 / (den**2)) * dinvden", "dden = (1.0 / (den**2)) * dinvden")
    assert broken != source
    line = {v.line: v for v in verify(broken).lines}[22]
    assert line.status == "wrong" and line.message == (
        "wrong: dden should be (-1 / (den * den)) * dinvden = (-1 / (1.953 * 1.953)) * 3.018 = -0.7916 "
        "(through invden); this line gives 0.7916")


def test_a_node_with_a_thousand_uses_verifies_wire_by_wire():
    n = 1000
    text = "f = " + " + ".join(["x"] * n) + "\ndx = 1.0 * df\n" + "dx += 1.0 * df\n" * (n - 1)
    report = verify(text, {"x": 2.0})
    assert report.ok and len(report.lines) == n
    assert report.lines[6].message == "ok: through f = x + x + x + x + ... + x + x + x + x + x, use 7 of 1000"
    text = "f = " + " + ".join(["x"] * n) + "\ndx = 1.0 * df\n" + "dx += 3.0 * df\n" + "dx += 996 * df\n"
    report = verify(text, {"x": 2.0})
    assert report.ok and report.lines[2].message.endswith("uses 5 to 1000 of 1000")


def test_d_lines_that_are_no_backward_pass_are_not_taken_silently_for_the_output():
    # dfoo names no gradient (foo is no forward name): gradcli says why it is the output.
    r = gradcli.grad("x = 3\nf = x*x\ndfoo = 2*x\n")
    assert r.label == "dfoo" and r.notes == [
        "line 3 is not read as a hand-written backward pass, since dfoo names no gradient: foo is not a "
        "name of the forward pass (line 3), so the output is dfoo; name each gradient after its forward "
        "name (dx for x, or dfdx for the output f's gradient in x)"]
    with pytest.raises(ProgramError) as e:
        verify("x = 3\nf = x*x\ndfoo = 2*x\n")
    assert e.value.hint.startswith("line 3 is not read as a hand-written backward pass")
    # A forward program that ends in an ordinary name, or a real backward pass: no such note.
    assert gradcli.grad("x = 3\nf = x*x\ndx = 2*x\n").notes[0].startswith("line 3 on is a hand-written")
    assert gradcli.grad("x = 3\nf = x*x\n").notes == []


def test_lines_at_a_kink_are_not_judged():
    # ReLU at 0 and a tie of max: no derivative exists, so the tutorial's choice is not wrong.
    report = verify("var x = Math.max(a, 0)\nvar da = a > 0 ? 1.0 * dx : 0.0;\n", {"a": 0.0})
    assert report.ok and report.lines[0].status == "kink"
    assert report.lines[0].message == (
        "at a kink: Math.max(a, 0) has no derivative at a = 0, so no line can be right or wrong here; "
        "gradcli's convention (tied arguments share the gradient evenly) gives 0.5, and this line gives 0")
    assert report.gradients[0].kink and not report.gradients[0].ok
    # Away from the kink the same line is judged, and the wrong way round is wrong.
    assert verify("var x = Math.max(a, 0)\nvar da = a > 0 ? 1.0 * dx : 0.0;\n", {"a": 1.0}).ok
    wrong = verify("var x = Math.max(a, 0)\nvar da = a < 0 ? 1.0 * dx : 0.0;\n", {"a": 1.0})
    assert not wrong.ok and wrong.lines[0].status == "wrong"


def test_equals_twice_at_a_fork_of_equal_shares_is_the_fork_bug():
    report = verify("var x = a * a;\nvar da = a * dx;\nda = a * dx;\n", {"a": 1.5})
    assert [v.status for v in report.lines] == ["ok", "fork"] and not report.ok
    assert report.lines[1].message.startswith(
        "fork bug: `=` where the fork needs `+=`. a feeds x = a * a more than once, so da must add up")


def test_lines_are_numbered_in_their_own_file(tmp_path):
    first, second = tmp_path / "forward.py", tmp_path / "backward.py"
    first.write_text("x = 3\ny = -4\nf = x * y\n")
    second.write_text("# the backward pass\ndx = y\ndy = 2 * x\n")
    res = CliRunner().invoke(main, ["--verify", "--json", "-f", str(first), "-f", str(second)])
    d = json.loads(res.output)
    assert [(l["line"], l["status"]) for l in d["lines"]] == [(2, "ok"), (3, "wrong")]


# --verify evaluates more than the output needs: the forward names its backward
# lines read (scalar programs), every line (array programs). A name with no
# value there is an error with its place, never None in the arithmetic.
MATMUL = (Path(__file__).resolve().parent.parent / "examples" / "cs231n_matmul.py").read_text()
MATMUL_DW_FIRST = "dW = dD.dot(X.T)\n" + MATMUL.replace("dW = dD.dot(X.T) #.T gives the transpose of the matrix\n", "")


@pytest.mark.parametrize("program,message,caret", [
    # a dead forward line (the output is w) that reads an unbound input, read by the backward pass
    ("w = 3\nw\nf = 2 * q\ndq = f\n", "error at F line 3, column 9: no value for input q",
     "  f = 2 * q\n          ^\nhint: bind it on the command line (q=1) or in the program (q = 1); "
     "line 4 of the backward pass reads f, which is computed from it"),
    ("x=3\n((x))\nq=xpy\ndx=(2*xpy)\n", "error at F line 3, column 3: no value for input xpy",
     "  q=xpy\n    ^^^\nhint: bind it on the command line (xpy=1) or in the program (xpy = 1); "
     "line 4 of the backward pass reads it"),
    # a forward name read before the line that assigns it: scalar, then arrays
    ("f = 2*q\nq = 3+1\nw = 3\nw\ndq = f\n", "error at F line 1, column 7: q is read on line 1 before line 2 assigns it",
     "  f = 2*q\n        ^\nhint: assign q before it is read: move line 2 above line 1; "
     "line 5 of the backward pass reads f, which is computed from it"),
    ("dW = dD.dot(X)\nX = np.random.randn(2)\nW = np.random.randn(2)\nD = W.dot(X)\ndD = 1\ndX = W * dD\n",
     "error at F line 1, column 13: X is read on line 1 before line 2 assigns it",
     "  dW = dD.dot(X)\n              ^\nhint: assign X before it is read: move line 2 above line 1"),
    (MATMUL_DW_FIRST, "error at F line 1, column 6: dD is read on line 1 before line 11 assigns it",
     "  dW = dD.dot(X.T)\n       ^^\nhint: assign dD before it is read: move line 11 above line 1"),
    # a gradient read in a backward line before the next line assigns it
    ("W = np.random.randn(5, 10)\nX = np.random.randn(10, 3)\nD = W.dot(X)\ndX = W.T.dot(dD)\n"
     "dD = np.random.randn(*D.shape)\ndW = dD.dot(X.T)\n",
     "error at F line 4, column 14: dD is read on line 4 before line 5 assigns it",
     "  dX = W.T.dot(dD)\n               ^^\nhint: assign dD before it is read: move line 5 above line 4"),
    # inputs of an array program that nothing binds
    ("x=max(a,b);(5,)\ndb=b\n", "error at F line 1, column 7: no value for inputs a, b",
     "  x=max(a,b);(5,)\n        ^\nhint: bind them on the command line (a=1 b=1) or in the program (a = 1)"),
])
@pytest.mark.parametrize("flags", [[], ["--json"], ["--svg", "verify.svg"]])
def test_verify_names_a_name_with_no_value(tmp_path, monkeypatch, program, message, caret, flags):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "F").write_text(program)
    res = CliRunner().invoke(main, ["-f", "F", "--verify", *flags])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines()[0] == "gradcli: " + message
    assert caret in res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr


def test_verify_evaluates_a_dead_forward_line_the_backward_pass_reads():
    # f is not on the way to the output w, but dq = f reads it: f is computed (4), and judged.
    report = verify("w = 3\nw\nf = 2 * q\ndq = f\n", {"q": 2.0})
    assert [(v.value, v.status) for v in report.lines] == [(4.0, "wrong")] and not report.ok
