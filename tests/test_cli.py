"""The command line as users see it: the table, JSON Lines, errors, exit codes,
colour, and the installed command run from outside the source tree."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import main

from . import docs
from .conftest import ROOT

NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]
ESC = "\x1b["


def gradcli_command() -> list[str]:
    """The installed console script, next to this Python."""
    script = Path(sys.executable).parent / "gradcli"
    found = str(script) if script.exists() else shutil.which("gradcli")
    assert found, "gradcli is not installed: pip install '.[test]'"
    return [found]


def invoke(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def ok(*args, **kw):
    r = invoke(*args, **kw)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert r.stderr == ""
    return r.stdout


def fails(code, *args, **kw):
    r = invoke(*args, **kw)
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    return r.stderr


def strict_json(line: str):
    def refuse(name):
        raise AssertionError("non-strict JSON constant %s in %s" % (name, line))
    return json.loads(line, parse_constant=refuse)


def jsonl(*args, **kw):
    return [strict_json(line) for line in ok(*args, "--json", **kw).splitlines()]


def table_rows(text: str) -> list[list[str]]:
    """The node rows of the first table: [node, op, value, grad]."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.split()[:1] == ["node"]) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def summary_rows(text: str) -> dict[str, list[str]]:
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.split()[:1] == ["input"]) + 1
    rows = {}
    for line in lines[start:]:
        if not line.strip() or line.startswith("note:"):
            break
        name, *rest = line.split()
        rows[name] = rest
    return rows


# --- the table ----------------------------------------------------------------------

def test_the_neuron_table():
    text = ok(*NEURON)
    assert text.splitlines()[0] == "forward and backward pass of sig(a*x+b*y+c)"
    assert table_rows(text) == [
        ["a", "input", "1", "-0.105"],
        ["x", "input", "-1", "0.105"],
        ["a*x", "*", "-1", "0.105"],
        ["b", "input", "2", "0.315"],
        ["y", "input", "3", "0.21"],
        ["b*y", "*", "6", "0.105"],
        ["a*x+b*y", "+", "5", "0.105"],
        ["c", "input", "-3", "0.105"],
        ["a*x+b*y+c", "+", "2", "0.105"],
        ["sig(a*x+b*y+c)", "sig", "0.8808", "1"],
    ]
    assert "output sig(a*x+b*y+c) = 0.8808" in text.splitlines()
    assert summary_rows(text) == {"a": ["1", "-0.105"], "x": ["-1", "0.105"], "b": ["2", "0.315"],
                                  "y": ["3", "0.21"], "c": ["-3", "0.105"]}
    assert ESC not in text


def test_named_intermediates_and_constants_in_the_table():
    text = ok("q = a*x + b; 2 * q", "a=3", "x=4", "b=1")
    assert table_rows(text) == [
        ["a", "input", "3", "8"], ["x", "input", "4", "6"], ["a*x", "*", "12", "2"], ["b", "input", "1", "2"],
        ["q", "+", "13", "2"], ["2", "const", "2", "-"], ["2", "*", "q", "*", "26", "1"],
    ]


def test_long_labels_are_shortened():
    expr = "+".join("x%d" % i for i in range(30))
    text = ok(expr, *("x%d=1" % i for i in range(30)))
    last = table_rows(text)[-1]
    assert "..." in last[0] and len(last[0]) <= 40
    assert last[1:] == ["+", "30", "1"]


def test_big_graphs_show_their_ends_unless_all():
    expr = "+".join(["x"] * 100)
    text = ok(expr, "x=1")
    assert "... 40 more nodes (--all shows every node)" in text
    assert len(table_rows(text)) == 61
    text = ok(expr, "x=1", "--all")
    assert len(table_rows(text)) == 100
    assert summary_rows(text) == {"x": ["1", "100"]}


@pytest.mark.parametrize("precision, value, grad", [("2", "0.88", "-0.1"), ("8", "0.88079708", "-0.10499359"),
                                                    ("17", "0.88079707797788231", "-0.10499358540350652")])
def test_precision(precision, value, grad):
    text = ok(*NEURON, "--precision", precision)
    assert "output sig(a*x+b*y+c) = %s" % value in text
    assert summary_rows(text)["a"] == ["1", grad]


@pytest.mark.parametrize("bad", ["0", "18", "x"])
def test_bad_precision_is_a_usage_error(bad):
    r = invoke(*NEURON, "--precision", bad)
    assert r.exit_code == 2
    assert "--precision" in r.stderr and "Traceback" not in r.stderr


def test_several_outputs_each_get_a_table():
    text = ok("x*y; x+y", "x=2", "y=3")
    parts = text.split("forward and backward pass of ")
    assert [p.splitlines()[0] for p in parts[1:]] == ["x*y", "x+y"]
    assert "output x*y = 6" in parts[1] and "output x+y = 5" in parts[2]
    assert summary_rows(parts[2]) == {"x": ["2", "1"], "y": ["3", "1"]}


def test_kink_note_in_the_table():
    text = ok("relu(x)", "x=0")
    assert "note: relu(x) is at a kink of relu (x = 0)" in text
    assert "relu'(0) = 0" in text


def test_negative_expression_after_double_dash():
    text = ok("--", "-x^2", "x=3")
    assert "output -x^2 = -9" in text
    assert summary_rows(text) == {"x": ["3", "-6"]}


# --- JSON Lines --------------------------------------------------------------------

def test_json_line_shape():
    [out] = jsonl(*NEURON)
    assert out["output"] == "sig(a*x+b*y+c)"
    assert out["value"] == pytest.approx(0.8807970779778823, rel=1e-15)
    assert list(out["gradients"]) == ["a", "x", "b", "y", "c"]
    assert out["gradients"]["a"] == pytest.approx(-0.1049935854035065, rel=1e-14)
    ids = set()
    for n in out["nodes"]:
        assert list(n) == ["id", "label", "op", "value", "grad", "args", "uses"]
        assert all(a in ids for a in n["args"])  # forward order
        ids.add(n["id"])
    assert [n["op"] for n in out["nodes"]] == ["input", "input", "mul", "input", "input", "mul", "add", "input",
                                                "add", "sig"]
    assert "notes" not in out


def test_json_uses_are_each_wires_share():
    [out] = jsonl("x*y + x", "x=2", "y=3")
    x, y, xy, top = out["nodes"]
    assert (x["label"], x["grad"], xy["label"], top["label"]) == ("x", 4.0, "x*y", "x*y + x")
    # in the order the backward pass adds them: + x first, then x*y
    assert x["uses"] == [{"node": top["id"], "arg": 1, "share": 1.0}, {"node": xy["id"], "arg": 0, "share": 3.0}]
    assert y["uses"] == [{"node": xy["id"], "arg": 1, "share": 2.0}]
    assert xy["uses"] == [{"node": top["id"], "arg": 0, "share": 1.0}]
    assert top["uses"] == []  # the output: its gradient is the seed


def test_json_uses_add_up_to_grad_in_their_order():
    # 0.3 + 0.2 + 0.1 is 0.6 only in this order; 0.1 + 0.2 + 0.3 is 0.6000000000000001.
    [out] = jsonl("0.1*x + 0.2*x + 0.3*x", "x=1")
    [x] = [n for n in out["nodes"] if n["label"] == "x"]
    assert [u["share"] for u in x["uses"]] == [0.3, 0.2, 0.1]
    total = 0.0
    for k, u in enumerate(x["uses"]):
        total = u["share"] if k == 0 else total + u["share"]
    assert total == x["grad"] == out["gradients"]["x"] == 0.6
    consts = [n for n in out["nodes"] if n["op"] == "const"]
    assert consts and all(c["uses"] == [] for c in consts)


def test_json_uses_of_a_times_a_and_an_overflowing_share():
    [out] = jsonl("a*a", "a=1.5")
    assert out["nodes"][0]["uses"] == [{"node": 1, "arg": 0, "share": 1.5}, {"node": 1, "arg": 1, "share": 1.5}]
    # a share that overflows is a math error, as any gradient that leaves double precision
    err = fails(1, "sin(1e300 * sin(1e300*x))", "x=0", "--json")
    assert "1e300*x: the gradient flowing back through it is too large for double precision" in err


def test_json_full_precision_and_constants():
    [out] = jsonl("x / 3 + 0.1", "x=1")
    assert out["value"] == 1 / 3 + 0.1
    assert out["gradients"] == {"x": 1 / 3}
    consts = [n for n in out["nodes"] if n["op"] == "const"]
    assert [c["value"] for c in consts] == [3.0, 0.1] and all(c["grad"] is None for c in consts)


def test_json_has_every_bound_input_with_zero_for_unused():
    [out] = jsonl("x*2", "x=1", "unused=5", "--no-nodes")
    assert out == {"output": "x*2", "value": 2.0, "gradients": {"x": 2.0, "unused": 0.0}}
    outs = jsonl("x*y; x", "x=2", "y=3", "--no-nodes")
    assert [o["gradients"] for o in outs] == [{"x": 3.0, "y": 2.0}, {"x": 1.0, "y": 0.0}]


def test_a_gradient_beyond_double_precision_is_an_error_not_a_json_string():
    for expr in ("x * 1e200 * 1e200", "-x * 1e200 * 1e200", "x*1e200*1e200 - x*1e200*1e200"):
        err = fails(1, "--json", "--", expr, "x=1e-300")
        assert "too large for double precision" in err and '"inf"' not in err


def test_json_notes_for_kinks():
    [out] = jsonl("max(x, y)", "x=2", "y=2", "--no-nodes")
    assert out["gradients"] == {"x": 0.5, "y": 0.5}
    assert out["notes"] == ["max(x, y) is at a kink of max (x = 2, y = 2), where it has no derivative; "
                            "gradcli's convention: tied arguments share the gradient evenly"]


def test_json_several_outputs_are_several_lines():
    outs = jsonl("x*y; x+y; sig(x)", "x=2", "y=3", "--no-nodes")
    assert [o["output"] for o in outs] == ["x*y", "x+y", "sig(x)"]


def test_json_gives_long_outputs_in_full():
    expr = "+".join("x%d" % i for i in range(30))
    [out] = jsonl(expr, *("x%d=1" % i for i in range(30)), "--no-nodes")
    assert out["output"] == expr


def test_json_from_a_program_names_the_output():
    [out] = jsonl("q = x*y", "x=2", "y=3", "--no-nodes")
    assert out["output"] == "q"


# --- errors and exit codes ----------------------------------------------------------

def test_syntax_error_on_stderr_with_caret():
    err = fails(2, "sig(a*x+b*y+c", "a=1", "b=2", "c=-3", "x=-1", "y=3")
    assert err.splitlines() == [
        "gradcli: syntax error at <expr> line 1, column 14: the input ends too early; expected an operator, ')' or ','",
        "  sig(a*x+b*y+c",
        "               ^",
        "hint: a '(' is not closed; add ')'",
    ]


def test_math_error_exit_1():
    err = fails(1, "y + log(x-3)", "x=1", "y=2")
    assert err.splitlines()[:3] == [
        "gradcli: math error at <expr> line 1, column 5: log(x-3): log needs an argument above 0 (x-3 = -2)",
        "  y + log(x-3)",
        "      ^^^^^^^^",
    ]


def test_unbound_variables_are_listed_at_once():
    err = fails(2, "a*x + b*y + c", "x=1")
    assert err.splitlines()[0] == "gradcli: error at <expr> line 1, column 1: no value for inputs a, b, y, c"
    assert "hint: bind them on the command line (a=1 b=1 y=1 c=1) or in the program (a = 1)" in err
    err = fails(2, "x + 1")
    assert "no value for input x" in err and "hint: bind it" in err


def test_thousands_of_unbound_inputs_get_a_line_not_a_page():
    err = fails(2, "+".join("x%d" % i for i in range(3000)))
    first = err.splitlines()[0]
    assert first.endswith("no value for inputs x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 and 2990 more")
    assert len(err) < 600


def test_unknown_function_suggests():
    err = fails(2, "sigmod(x)", "x=1")
    assert "unknown function 'sigmod'" in err and "did you mean sigmoid?" in err
    err = fails(2, "Math.expp(x)", "x=1")
    assert "did you mean exp?" in err


def test_wrong_arity():
    err = fails(2, "atan2(y)", "y=1")
    assert "atan2 takes 2 arguments, not 1" in err and "for example atan2(x, y)" in err


@pytest.mark.parametrize("word, message", [
    ("x=abc", "the value of x is not a number: 'abc'"),
    ("x=", "the value of x is not a number: ''"),
    ("x=0x10", "the value of x is not a number: '0x10'"),
    ("x=inf", "the value of x is not a number: 'inf'"),
    ("x=nan", "the value of x is not a number: 'nan'"),
    ("x=1_000", "the value of x is not a number: '1_000'"),
    ("x=1e999", "the value of x is too large for double precision"),
    ("=3", "expected NAME=VALUE, got '=3'"),
    ("y", "expected NAME=VALUE, got 'y'"),
    ("2x=3", "expected NAME=VALUE, got '2x=3'"),
])
def test_malformed_bindings(word, message):
    err = fails(2, "x*2", word)
    assert err.splitlines()[0] == "gradcli: input error: " + message
    assert err.splitlines()[1].startswith("hint: ")


def test_a_binding_of_a_computed_name():
    err = fails(2, "q = x*2; q", "q=3", "x=1")
    assert "q is computed by the program, so it cannot be bound on the command line" in err


def test_the_last_binding_wins():
    [out] = jsonl("x*2", "x=1", "x=5", "--no-nodes")
    assert out["value"] == 10.0


def test_missing_file_and_directory(tmp_path):
    err = fails(2, "-f", str(tmp_path / "nope.py"))
    assert err.splitlines()[0] == "gradcli: input error: no such file: %s" % (tmp_path / "nope.py")
    err = fails(2, "-f", str(tmp_path))
    assert "is a directory" in err


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "bad.py"
    path.write_bytes(b"x = 1\ny = x \xff 2\n")
    err = fails(2, "-f", str(path))
    assert "is not UTF-8 text (byte 0xff at line 2, column 7)" in err


def test_errors_in_files_name_the_file_and_line(tmp_path):
    path = tmp_path / "prog.js"
    path.write_text("var a = 1;\nvar b = a +* 2;\n")
    err = fails(2, "-f", str(path))
    assert err.splitlines()[:3] == [
        "gradcli: syntax error at %s line 2, column 12: unexpected symbol '*'; expected a number, a name or '('" % path,
        "  var b = a +* 2;",
        "             ^",
    ]


def test_files_concatenate_and_bindings_follow(tmp_path):
    (tmp_path / "a.py").write_text("x = 2\n")
    (tmp_path / "b.py").write_text("y = x * x\n")
    [out] = jsonl("-f", str(tmp_path / "a.py"), "-f", str(tmp_path / "b.py"), "--no-nodes")
    assert out == {"output": "y", "value": 4.0, "gradients": {"x": 4.0}}
    [out] = jsonl("-f", str(tmp_path / "a.py"), "-f", str(tmp_path / "b.py"), "x=3", "--no-nodes")
    assert out["value"] == 9.0


def test_program_from_stdin():
    [out] = jsonl(input="x = 3\ny = x*x\n", )
    assert out["value"] == 9.0
    [out] = jsonl("x=4", input="y = x*x\n")
    assert out["value"] == 16.0


def test_nothing_to_compute():
    err = fails(2, input="# just a comment\n")
    assert "the program has nothing to compute" in err


@pytest.mark.parametrize("text", ["", "\x00", "(" * 5000, ")" * 50, "x" * 10000, "1e", "x=", "=",
                                  "\u00e9t\u00e9 = 1", "x\u200b+1", "sig(" * 300 + "x" + ")" * 300])
def test_strange_inputs_give_plain_errors_or_answers(text):
    r = invoke(text, "x=1")
    assert r.exit_code in (0, 1, 2), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if r.exit_code:
        assert r.stderr.startswith("gradcli: ")


def test_help_version_and_unknown_options():
    text = ok("--help")
    assert "Usage: " in text and "Examples:" in text and "Exit codes: 0 success" in text
    assert ok("-V").strip() == "gradcli, version %s" % __import__("gradcli").__version__
    r = invoke("--frobnicate", "x")
    assert r.exit_code == 2 and "No such option" in r.stderr


# --- colour -----------------------------------------------------------------------

def test_piped_output_has_no_escape_codes_and_does_not_wrap():
    expr = "+".join("long_variable_name_%d" % i for i in range(12))
    text = ok(expr, *("long_variable_name_%d=1" % i for i in range(12)), env={"COLUMNS": "30"})
    assert ESC not in text
    rows = table_rows(text)
    assert len(rows) == 12 + 11 and all(len(r) == 4 for r in rows)
    assert rows[-1][0] == "long_variable_name...g_variable_name_11"
    assert any(len(line) > 30 for line in text.splitlines())


def _tty_run(args, env):
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    return out.decode()


COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;)[0-9;]*m")


def test_colour_on_a_terminal_and_none_with_no_color(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    coloured = _tty_run([*gradcli_command(), "x*y", "x=2", "y=3"], env)
    assert COLOUR.search(coloured), coloured  # inputs and the output are highlighted
    plain = _tty_run([*gradcli_command(), "x*y", "x=2", "y=3"], {**env, "NO_COLOR": "1"})
    assert not COLOUR.search(plain) and "output x*y = 6" in re.sub(r"\x1b\[[0-9;]*m", "", plain)
    plain = _tty_run([*gradcli_command(), "x*y", "x=2", "y=3", "--no-color"], env)
    assert not COLOUR.search(plain)


# --- the installed command ------------------------------------------------------------

def test_installed_command_from_outside_the_tree(tmp_path):
    proc = subprocess.run([*gradcli_command(), *NEURON], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert table_rows(proc.stdout)[-1] == ["sig(a*x+b*y+c)", "sig", "0.8808", "1"]
    proc = subprocess.run([sys.executable, "-m", "gradcli", *NEURON, "--json", "--no-nodes"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert {k: round(v, 3) for k, v in strict_json(proc.stdout)["gradients"].items()} == {
        "a": -0.105, "x": 0.105, "b": 0.315, "y": 0.21, "c": 0.105}


def test_installed_command_exit_codes_and_stderr(tmp_path):
    for args, code in ((["log(x)", "x=-1"], 1), (["sig(x"], 2), (["x", "x=oops"], 2)):
        proc = subprocess.run([*gradcli_command(), *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == code
        assert proc.stdout == "" and proc.stderr.startswith("gradcli: ")
    proc = subprocess.run([sys.executable, "-m", "gradcli", "--version"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("gradcli, version ")


# --- the documentation's samples are what gradcli prints -------------------------------
# README.md and every docs/*.md page (tests/docs.py finds them).

def console_samples():
    samples = []
    for block in docs.blocks("console"):
        command, _, output = block.text.partition("\n")
        assert command.startswith("$ "), block.where
        # `$ gradcli ...`, or `$ <shell command> | gradcli ...` whose output is gradcli's input
        feed, command = docs.command(command[2:])
        assert command.startswith("gradcli "), (block.where, command)
        samples.append(pytest.param(feed, shlex.split(command)[1:], output, id=block.where))
    return samples


def run_sample(feed, args):
    stdin = None
    if feed:
        stdin = subprocess.run(feed, shell=True, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return invoke(*args, input=stdin) if stdin is not None else invoke(*args)


def shown_lines(text):
    return [l.rstrip() for l in text.rstrip("\n").splitlines()] if text.strip("\n") else []


def interleaves(sample, out, err):
    """Is the sample's text standard output and standard error merged, each
    stream's lines in order? (A terminal shows them as they were written,
    which only a terminal can tell; `sample` must account for every line.)"""
    can = [[False] * (len(err) + 1) for _ in range(len(out) + 1)]  # can[i][j]: out[:i] and err[:j] make sample[:i+j]
    can[0][0] = True
    for i in range(len(out) + 1):
        for j in range(len(err) + 1):
            if i and can[i - 1][j] and out[i - 1] == sample[i + j - 1]:
                can[i][j] = True
            if j and can[i][j - 1] and err[j - 1] == sample[i + j - 1]:
                can[i][j] = True
    return len(sample) == len(out) + len(err) and can[len(out)][len(err)]


@pytest.mark.parametrize("feed, args, output", console_samples())
def test_console_samples(feed, args, output):
    r = run_sample(feed, args)
    out, err = shown_lines(r.stdout), shown_lines(r.stderr)
    if not err:  # the usual case: the sample is gradcli's output, line for line
        assert shown_lines(output) == out
    else:
        assert interleaves(shown_lines(output), out, err), "\n".join(out + ["(standard error:)"] + err)


def test_console_samples_cover_the_readme_and_the_pages():
    where = {p.id.split(":")[0] for p in console_samples()}
    assert "README.md" in where and any(w.startswith("docs/") for w in where)


def sh_commands():
    """Each line of an `sh` block that runs gradcli (comments aside)."""
    found = []
    for block in docs.blocks("sh"):
        for k, line in enumerate(block.text.splitlines()):
            feed, command = docs.command(line)
            words = shlex.split(command, comments=True)
            if words[:1] == ["gradcli"]:
                found.append(pytest.param(feed, words[1:], id="%s+%d" % (block.where, k + 1)))
    return found


@pytest.mark.parametrize("feed, args", sh_commands())
def test_sh_commands_in_the_docs_succeed(feed, args):
    r = run_sample(feed, args)
    assert r.exit_code == 0, r.output


def test_the_exit_code_table_messages():
    text = "\n".join(docs.prose(p) for p in docs.pages())
    math_msgs = re.findall(r"^\| 1 \|.*`(gradcli: math error at [^`]*)`", text, re.M)
    syntax_msgs = re.findall(r"^\| 2 \|.*`(gradcli: syntax error at [^`]*)`", text, re.M)
    assert math_msgs and syntax_msgs
    assert {fails(1, "log(x-3)", "x=1").splitlines()[0]} == set(math_msgs)
    assert {fails(2, "(x+y", "x=1", "y=2").splitlines()[0]} == set(syntax_msgs)


def test_a_program_argument_wins_over_piped_input():
    # stdin is read only when no program is given on the command line
    [out] = jsonl("x*3", "x=2", "--no-nodes", input="x*100\n")
    assert out["output"] == "x*3" and out["value"] == 6.0
