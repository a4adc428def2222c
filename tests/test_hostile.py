"""Odd files, odd numbers, odd names: each is computed right or refused clearly."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gradcli.cli import main


def run(args, stdin=None):
    result = CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def value(args, stdin=None):
    result = run(["--json", "--no-nodes"] + args, stdin)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout.splitlines()[0])


def error(args, code, *fragments, stdin=None):
    result = run(args, stdin)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


# Files and encodings.

def test_invalid_utf8_names_the_byte_and_place(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes(b"x = 2\ny = x*\xff\n")
    error(["-f", str(f)], 2, "not UTF-8", "0xff", "line 2, column 7")


def test_nul_byte_is_a_syntax_error_with_a_visible_caret(tmp_path):
    f = tmp_path / "nul.txt"
    f.write_bytes(b"x = 1\x00\n")
    err = error(["-f", str(f)], 2, "unexpected character U+0000", "line 1, column 6")
    assert "\x00" not in err
    assert "  x = 1?\n       ^" in err


def test_bom_crlf_tabs_and_no_final_newline(tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes(b"\xef\xbb\xbfx = 2\r\n\ty =\tx*x\r\nz = y + y")
    out = value(["-f", str(f)])
    assert out["value"] == 8.0 and out["gradients"] == {"x": 8.0}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n// and another", " ; ; "])
def test_a_program_with_nothing_to_compute(text):
    error(["-f", "-"], 2, "nothing to compute", "hint:", stdin=text)


def test_a_directory_and_a_missing_file(tmp_path):
    error(["-f", str(tmp_path)], 2, "is a directory")
    error(["-f", str(tmp_path / "nope.gc")], 2, "no such file")


def test_a_terminal_on_stdin_with_no_program_never_waits():
    # Run the real command with a pseudo-terminal as stdin: it must answer at once.
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "gradcli"], timeout=20, encoding="utf-8")
    child.expect(["gradcli", pexpect.EOF])
    assert "Traceback" not in (child.before or "") + (child.after if isinstance(child.after, str) else "")
    child.close(force=True)


# Numbers: the IEEE answer, or a specific error.

@pytest.mark.parametrize("expr, bindings, expected, grads", [
    ("x*1e-310", ["x=2"], 2e-310, {"x": 1e-310}),        # subnormals are numbers
    ("x*2", ["x=-0.0"], -0.0, {"x": 2.0}),                # -0.0 is kept
    ("exp(x)", ["x=709"], math.exp(709), {"x": math.exp(709)}),
    ("0^x", ["x=2"], 0.0, {"x": 0.0}),                    # slope of 0^y in y is 0
    ("x^0", ["x=0"], 1.0, {"x": 0.0}),                    # 0^0 = 1, as in IEEE pow
    ("x^3", ["x=-2"], -8.0, {"x": 12.0}),                 # negative base, whole exponent
    ("x^2", ["x=-2"], 4.0, {"x": -4.0}),
    ("0.5^x", ["x=1e10"], 0.0, {"x": -0.0}),              # underflow to 0 is fine
])
def test_numbers_that_compute(expr, bindings, expected, grads):
    out = value(["--", expr] + bindings)
    assert out["value"] == expected and math.copysign(1, out["value"]) == math.copysign(1, expected)
    assert out["gradients"] == grads


@pytest.mark.parametrize("expr, bindings, fragment", [
    ("1e308*10", [], "too large for double precision"),
    ("exp(x)", ["x=710"], "too large for double precision"),
    ("log(x)", ["x=0"], "log needs an argument above 0"),
    ("(-8)^(1/3)", [], "a negative base needs a whole-number exponent"),
    ("pow(x, y)", ["x=-2", "y=3"], "the base is negative"),
    ("2^x", ["x=1e10"], "too large for double precision"),
    ("1/x", ["x=0"], "division by zero"),
    ("x/y", ["x=0", "y=0"], "division by zero"),
    ("0^x", ["x=-1"], "0 to a negative power"),
    ("sqrt(x)", ["x=0"], "slope is infinite at 0"),
])
def test_numbers_that_are_math_errors(expr, bindings, fragment):
    err = error(["--", expr] + bindings, 1, "math error", fragment, "^")
    assert err.count("\n") <= 4


@pytest.mark.parametrize("expr, binding, node", [
    ("log(x)", "x=1e-320", "log(x)"),        # the local slope itself leaves double precision
    ("1/x", "x=1e-308", "1/x"),              # so does -1/x^2 at 1e-308 ...
    ("1/x", "x=1e-155", "1/x"),              # ... and at 1e-155, where x^2 would underflow instead
    ("x^0.001", "x=5e-324", "x^0.001"),      # pow's slope 0.001 * out / x, inf at the last division
    ("1e300 * sqrt(x)", "x=1e-20", "sqrt(x)"),  # each slope finite, their product not
])
def test_a_gradient_that_overflows_is_a_math_error_naming_the_gate(expr, binding, node):
    err = error(["--", expr, binding], 1, "math error", node + ": the gradient flowing back through it is "
                "too large for double precision", "^")
    assert not re.search(r"\b(inf|nan)\b", err)


def test_a_literal_too_large_for_doubles():
    error(["x*1e999", "x=1"], 2, "too large for double precision", "column 3")


@pytest.mark.parametrize("binding, fragment", [
    ("x=1e999", "too large for double precision"),
    ("x=nan", "not a number: 'nan'"),
    ("x=inf", "not a number: 'inf'"),
    ("x=0x10", "not a number: '0x10'"),
    ("x=1_000", "not a number: '1_000'"),
    ("x=", "not a number: ''"),
    ("x", "expected NAME=VALUE"),
    ("=3", "expected NAME=VALUE"),
])
def test_malformed_bindings(binding, fragment):
    error(["x*2", binding], 2, fragment, "hint:")


# Names and bindings.

def test_the_last_binding_of_a_name_wins():
    assert value(["x*2", "x=1", "x=3"])["value"] == 6.0


def test_binding_an_intermediate_is_an_error():
    error(["y = x*2; y", "x=1", "y=3"], 2, "y is computed by the program", "line 1, column 1")


@pytest.mark.parametrize("expr, bindings, expected, grads", [
    ("sig*2", ["sig=3"], 6.0, {"sig": 2.0}),
    ("pi*2", ["pi=3"], 6.0, {"pi": 2.0}),
    ("pi = 3; pi*2", [], 6.0, {"pi": 2.0}),
    ("exp(exp)", ["exp=0"], 1.0, {"exp": 1.0}),
    ("var*let", ["var=2", "let=3"], 6.0, {"var": 3.0, "let": 2.0}),
])
def test_names_that_collide_with_functions_constants_and_keywords(expr, bindings, expected, grads):
    out = value([expr] + bindings)
    assert out["value"] == expected and out["gradients"] == grads


def test_very_long_names_are_names():
    name = "w" * 10_000
    out = value(["%s*2" % name, "%s=1.5" % name])
    assert out["value"] == 3.0 and out["gradients"] == {name: 2.0}


def test_non_ascii_names_are_refused_with_a_reason():
    error(["é*2"], 2, "unexpected character 'é'", "ASCII letters")


# Security: user text never reaches eval or exec.

def test_hostile_names_stay_names():
    out = value(["__import__*__class__", "__import__=2", "__class__=3"])
    assert out["value"] == 6.0
    error(["__import__(os)"], 2, "unknown function '__import__'")
    error(["__import__('os')"], 2, "gradcli has no strings")


def test_no_eval_or_exec_of_user_text():
    # eval/exec appear only where gradcli compiles its own templates and generated code.
    import gradcli
    from pathlib import Path
    root = Path(gradcli.__file__).parent
    import re
    call = re.compile(r"(?<![\w.])(eval|exec)\(")
    users = sorted(p.name for p in root.glob("*.py") if call.search(p.read_text()))
    assert set(users) <= {"ops.py", "codegen.py", "steps.py", "emit.py"}, users


def test_the_command_never_reads_more_than_the_named_file(tmp_path):
    f = tmp_path / "prog.gc"
    f.write_text("x*2\n")
    proc = subprocess.run([sys.executable, "-m", "gradcli", "-f", str(f), "x=2", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"] == 4.0


def test_a_spaced_assignment_is_a_program_and_empty_stdin_says_so():
    out = value(["x = 3"])  # with spaces: a one-line program, not a binding
    assert out["output"] == "x" and out["value"] == 3.0 and out["gradients"] == {"x": 1.0}
    error(["x=3"], 2, "no program given (standard input is empty)", "hint: gradcli EXPR", stdin="")
    error(["x=3"], 2, "no program given", stdin="  \n\n")


def test_a_math_error_in_a_named_statement_shows_the_name_and_the_expression():
    err = error(["y = log(x); y*2", "x=-1"], 1, "line 1, column 5: y = log(x): log needs an argument above 0 (x = -1)")
    assert "  y = log(x); y*2\n      ^^^^^^" in err
