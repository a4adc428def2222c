"""The tutorials' own code blocks (examples/tutorials/) through the real
command, each run as its header's `Run:` line says: with only the inputs the
tutorial leaves unset bound on the command line. Checked: the numbers the
tutorials print, every value and gradient against sympy (and CS231n's blocks
against the same code run by Python), --verify on every hand-written backward
pass, and each backward pass broken at one line, which --verify must flag at
that line."""
from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
from typing import NamedTuple

import pytest
import sympy as sp
from click.testing import CliRunner

from gradcli.cli import main

from . import docs
from .conftest import EXAMPLES_DIR, ROOT
from .test_cli import gradcli_command

TUTORIALS = EXAMPLES_DIR / "tutorials"


class Block(NamedTuple):
    files: tuple[str, ...]  # what -f reads, in order: a block it needs first, then the block itself
    cli: str                # the inputs the tutorial leaves unset, as the command line binds them
    f: str                  # the output as a formula, in sympy's spelling (sig is the sigmoid)
    verify: bool = True     # the block has a hand-written backward pass
    sets: str = ""          # the inputs the block (or the block before it) sets itself
    also: tuple[str, ...] = ()  # more points, for a block that branches (the max gate, ReLU)


CS231N_STAGED = "(x + sig(y)) / (sig(x) + (x + y)**2)"
FORWARD, BACKWARD = "cs231n_staged_forward.py", "cs231n_staged_backward.py"

BLOCKS = {
    # CS231n's backprop notes (seed 001); its block on lists (w = [2,-3,-3]) is left out.
    "cs231n_set_inputs.py": Block(("cs231n_set_inputs.py", "cs231n_first_example.py"), "", "(x + y)*z",
                                  sets="x=-2 y=5 z=-4"),
    "cs231n_first_example.py": Block(("cs231n_first_example.py",), "x=-2 y=5 z=-4", "(x + y)*z"),
    FORWARD: Block((FORWARD,), "", CS231N_STAGED, verify=False, sets="x=3 y=-4"),
    BACKWARD: Block((FORWARD, BACKWARD), "", CS231N_STAGED, sets="x=3 y=-4"),
    # "Becoming a Backprop Ninja" (seed 003); `var x = a * a; var da = //???` is left out.
    "ninja_mul_gate.js": Block(("ninja_mul_gate.js",), "a=1.5 b=-2", "a*b"),
    "ninja_add_gate.js": Block(("ninja_add_gate.js",), "a=1.5 b=-2", "a + b"),
    "ninja_three_numbers.js": Block(("ninja_three_numbers.js",), "a=1.5 b=-2 c=3.5", "a + b + c"),
    "ninja_three_numbers_fast.js": Block(("ninja_three_numbers_fast.js",), "a=1.5 b=-2 c=3.5", "a + b + c"),
    "ninja_combined_gates.js": Block(("ninja_combined_gates.js",), "a=1.5 b=-2 c=3.5", "a*b + c"),
    "ninja_neuron.js": Block(("ninja_neuron.js",), "a=1 b=2 c=-3 x=-1 y=3", "sig(a*x + b*y + c)"),
    "ninja_fork.js": Block(("ninja_fork.js",), "a=1.5", "a*a"),
    "ninja_sum_of_squares.js": Block(("ninja_sum_of_squares.js",), "a=1.5 b=-2 c=3.5", "a*a + b*b + c*c"),
    "ninja_pow.js": Block(("ninja_pow.js",), "a=1.5 b=-2 c=3.5 d=0.8", "((a*b + c)*d)**2", verify=False),
    "ninja_pow_split.js": Block(("ninja_pow_split.js",), "a=1.5 b=-2 c=3.5 d=0.8", "((a*b + c)*d)**2"),
    "ninja_division_local.js": Block(("ninja_division_local.js",), "a=1.5", "1/a"),
    "ninja_division.js": Block(("ninja_division.js",), "a=1.5 b=-2 c=3.5 d=0.8", "(a + b)/(c + d)"),
    "ninja_max.js": Block(("ninja_max.js",), "a=1.5 b=-2", "Max(a, b)", also=("a=-2 b=1.5",)),
    "ninja_relu.js": Block(("ninja_relu.js",), "a=1.5", "Max(a, 0)", also=("a=-1.5",)),
}
VERIFIED = [name for name, b in BLOCKS.items() if b.verify]

# Each backward pass with ONE line broken: (block, the line's text, its broken text, --verify's status).
BROKEN = [
    ("cs231n_first_example.py", "dfdz = q #", "dfdz = z #", "wrong"),     # the other input's value, not its own
    (BACKWARD, "dxpy = (2 * xpy) * dxpysqr", "dxpy = (xpy) * dxpysqr", "wrong"),  # the power rule's 2 lost
    (BACKWARD, "dx += (1) * dnum", "dx = (1) * dnum", "fork"),           # `=` where x forks
    ("ninja_mul_gate.js", "var da = b * dx;", "var da = a * dx;", "wrong"),
    ("ninja_add_gate.js", "var db = 1.0 * dx;", "var db = -1.0 * dx;", "wrong"),
    ("ninja_three_numbers.js", "dc = 1.0 * dx;", "dc = c * dx;", "wrong"),
    ("ninja_three_numbers_fast.js", "var db = 1.0 * dx;", "var db = b * dx;", "wrong"),
    ("ninja_combined_gates.js", "da = b * dx;", "da = a * dx;", "wrong"),
    # sig' taken at the input, not from the output
    ("ninja_neuron.js", "var dq = (f * (1 - f)) * df;", "var dq = (q * (1 - q)) * df;", "wrong"),
    ("ninja_fork.js", "da += a * dx;", "da = a * dx;", "fork"),          # the tutorial's own fork: a * a
    ("ninja_sum_of_squares.js", "var db = 2*b*dx;", "var db = 2*dx;", "wrong"),
    ("ninja_pow_split.js", "var dd = x1 * dx2;", "var dd = x2 * dx2;", "wrong"),
    ("ninja_division_local.js", "var da = -1.0/(a*a);", "var da = 1.0/(a*a);", "wrong"),
    ("ninja_division.js", "var dx2 = (-1.0/(x2*x2)) * dx3;", "var dx2 = (1.0/(x2*x2)) * dx3;", "wrong"),
    ("ninja_max.js", "var da = a === x ?", "var da = b === x ?", "wrong"),  # the other input's condition
    ("ninja_relu.js", "var da = a > 0 ?", "var da = a < 0 ?", "wrong"),   # the condition reversed
]


def bindings(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (w.split("=") for w in text.split())}


def command(name: str) -> list[str]:
    """The block's command line, as its header's `Run:` line gives it."""
    b = BLOCKS[name]
    files = [w for f in b.files for w in ("-f", "examples/tutorials/" + f)]
    return ["--verify"] * b.verify + files + b.cli.split()


def points(name: str) -> list[str]:
    b = BLOCKS[name]
    return [b.cli, *b.also]


def at(name: str, point: str) -> dict[str, float]:
    """Every input's value at a point: the block's own and the command line's."""
    return {**bindings(BLOCKS[name].sets), **bindings(point)}


def sympy_answer(name: str, point: str) -> tuple[float, dict[str, float]]:
    """The output's value and its gradient with respect to each input, by sympy."""
    values = at(name, point)
    symbols = {n: sp.Symbol(n, real=True) for n in values}
    f = sp.sympify(BLOCKS[name].f, locals={**symbols, "sig": lambda t: 1 / (1 + sp.exp(-t)), "Max": sp.Max})
    subs = {symbols[n]: sp.Rational(repr(v)) for n, v in values.items()}
    grads = {n: float(sp.diff(f, s).subs(subs).evalf(30)) for n, s in symbols.items()}
    return float(f.subs(subs).evalf(30)), grads


def invoke(args: list[str], input: str | None = None):
    return CliRunner().invoke(main, args, input=input)


def without_mode(name: str, point: str) -> list[str]:
    """The block's files, with the point's bindings (no --verify)."""
    return [w for w in command(name) if w != "--verify" and "=" not in w] + point.split()


def verify_json(args: list[str], input: str | None = None) -> tuple[int, dict]:
    result = invoke(["--verify", "--json", *args], input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def input_of(gradient: str, inputs) -> str | None:
    """The input whose gradient a backward pass's name holds: da, CS231n's dfdx."""
    for prefix in ("d", "dfd"):
        if gradient.startswith(prefix) and gradient[len(prefix):] in inputs:
            return gradient[len(prefix):]
    return None


def line_of(text: str, code: str) -> int:
    """The (1-based) line of the one line of `text` that holds `code`."""
    found = [k + 1 for k, line in enumerate(text.splitlines()) if code in line]
    assert len(found) == 1, (code, found)
    return found[0]


# --- the files and their headers ------------------------------------------------------

def test_every_file_in_the_folder_is_a_block_here():
    on_disk = {p.name for p in TUTORIALS.iterdir() if p.suffix in (".py", ".js")}
    assert on_disk == set(BLOCKS)


@pytest.mark.parametrize("name", BLOCKS)
def test_the_header_gives_the_command_and_the_inputs_the_tutorial_leaves_unset(name):
    text = (TUTORIALS / name).read_text("utf-8")
    comment = "#" if name.endswith(".py") else "//"
    runs = re.findall(r"^%s Run: (.*)$" % comment, text, re.M)
    assert runs == [shlex.join(["gradcli", *command(name)])]
    cli = BLOCKS[name].cli
    if cli:  # said in words too, apart from the Run line
        header = "\n".join(line for line in text.splitlines() if line.startswith(comment) and "Run:" not in line)
        assert cli in header and "on the command line" in header, name


# --- the real command -----------------------------------------------------------------

@pytest.mark.parametrize("name", BLOCKS)
def test_the_run_line_works_in_the_installed_command(name):
    proc = subprocess.run([*gradcli_command(), *command(name)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == "" and "\x1b[" not in proc.stdout
    if not BLOCKS[name].verify:
        assert proc.stdout.startswith("forward and backward pass of ")
        return
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("verify: the hand-written backward pass of ")
    statements = int(re.search(r"\((\d+) statements?\)", lines[0]).group(1))
    rows = [line for line in lines if re.match(r"\s*\d+  ", line)]
    assert len(rows) == statements and all("  ok: " in row for row in rows), proc.stdout
    assert lines[-1] == "every claimed gradient is right"


@pytest.mark.parametrize("name, point", [(n, p) for n in BLOCKS for p in points(n)])
def test_values_and_gradients_agree_with_sympy(name, point):
    result = invoke([*without_mode(name, point), "--json", "--no-nodes"])
    assert result.exit_code == 0, result.output
    (out,) = [json.loads(line) for line in result.stdout.splitlines()]
    value, grads = sympy_answer(name, point)
    assert out["value"] == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert out["gradients"] == pytest.approx(grads, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name, point", [(n, p) for n in VERIFIED for p in points(n)])
def test_verify_says_every_line_and_every_claimed_gradient_is_right(name, point):
    code, report = verify_json(without_mode(name, point))
    assert code == 0 and report["ok"], report
    assert [v["status"] for v in report["lines"]] == ["ok"] * len(report["lines"])
    assert report["not_computed"] == {}
    _, grads = sympy_answer(name, point)
    claimed = {}
    for gradient, verdict in report["gradients"].items():
        assert verdict["ok"] and verdict["claimed"] == pytest.approx(verdict["true"], rel=1e-12, abs=1e-15)
        if input_of(gradient, grads):
            claimed[input_of(gradient, grads)] = verdict["claimed"]
    # every input's gradient is claimed by the tutorial, and is sympy's
    assert claimed == pytest.approx(grads, rel=1e-12, abs=1e-15)


# --- the numbers the tutorials print --------------------------------------------------

@pytest.mark.parametrize("name", ["cs231n_first_example.py", "cs231n_set_inputs.py"])
def test_cs231n_first_example_gives_the_notes_numbers(name):
    result = invoke([*without_mode(name, BLOCKS[name].cli), "--json"])
    (out,) = [json.loads(line) for line in result.stdout.splitlines()]
    nodes = {n["label"]: n for n in out["nodes"]}
    assert nodes["q"]["value"] == 3.0 and out["value"] == -12.0      # q becomes 3, f becomes -12
    assert out["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    _, report = verify_json(without_mode(name, BLOCKS[name].cli))
    claimed = {g: v["claimed"] for g, v in report["gradients"].items()}
    assert claimed == {"dfdz": 3.0, "dfdq": -4.0, "dfdx": -4.0, "dfdy": -4.0}  # the comments' numbers


def test_the_neuron_gives_the_guides_numbers():
    # "Hacker's guide to Neural Networks" prints these for its neuron at a=1 b=2 c=-3 x=-1 y=3.
    _, report = verify_json(without_mode("ninja_neuron.js", BLOCKS["ninja_neuron.js"].cli))
    claimed = {g[1:]: round(v["claimed"], 3) for g, v in report["gradients"].items() if g not in ("df", "dq")}
    assert claimed == {"a": -0.105, "b": 0.315, "c": 0.105, "x": 0.105, "y": 0.210}
    result = invoke([*without_mode("ninja_neuron.js", BLOCKS["ninja_neuron.js"].cli), "--json"])
    assert round(json.loads(result.stdout)["value"], 4) == 0.8808


def python_runs(*names: str, **inputs: float) -> dict:
    """CS231n's blocks are Python: what Python makes of them."""
    scope = {"math": math, **inputs}
    exec("".join((TUTORIALS / n).read_text("utf-8") for n in names), scope)  # noqa: S102
    return scope


@pytest.mark.parametrize("name", ["cs231n_first_example.py", BACKWARD])
def test_cs231n_blocks_give_what_python_gives_running_them(name):
    b = BLOCKS[name]
    python = python_runs(*b.files, **bindings(b.cli))
    _, report = verify_json(without_mode(name, b.cli))
    for gradient, verdict in report["gradients"].items():
        assert verdict["claimed"] == pytest.approx(python[gradient], rel=1e-15), gradient
    result = invoke([*without_mode(name, b.cli), "--json"])
    out = json.loads(result.stdout)
    assert out["value"] == pytest.approx(python["f"], rel=1e-15)
    nodes = {n["label"]: n["value"] for n in out["nodes"]}
    named = [n for n in nodes if n in python and isinstance(python[n], float | int)]
    assert len(named) >= 3 and all(nodes[n] == pytest.approx(python[n], rel=1e-15) for n in named)
    # the inputs are the notes' own: x = -2, y = 5, z = -4, and x = 3, y = -4
    assert {n: nodes[n] for n in at(name, b.cli)} == at(name, b.cli)


def test_pow_and_its_split_agree():
    args = BLOCKS["ninja_pow.js"].cli.split()
    whole = json.loads(invoke(["-f", str(TUTORIALS / "ninja_pow.js"), *args, "--json", "--no-nodes"]).stdout)
    split = json.loads(invoke(["-f", str(TUTORIALS / "ninja_pow_split.js"), *args, "--json", "--no-nodes"]).stdout)
    assert whole["value"] == pytest.approx(split["value"], rel=1e-15)
    assert whole["gradients"] == pytest.approx(split["gradients"], rel=1e-15)


# --- one line broken ------------------------------------------------------------------

@pytest.mark.parametrize("name, line, broken, status", BROKEN, ids=["%s-%s" % (b[0], b[3]) for b in BROKEN])
def test_one_broken_line_is_flagged_at_that_line(name, line, broken, status):
    b = BLOCKS[name]
    text = (TUTORIALS / name).read_text("utf-8")
    n = line_of(text, line)
    mutated = text.replace(line, broken)
    assert mutated != text
    # The blocks before it come first, as one program on standard input: the
    # line numbers are then those of the whole text (see the next test for -f).
    before = "".join((TUTORIALS / f).read_text("utf-8") for f in b.files[:-1])
    n += before.count("\n")
    for point in points(name):
        code, report = verify_json(point.split(), input=before + mutated)
        assert code == 1 and not report["ok"]
        here = [v for v in report["lines"] if v["line"] == n]
        assert [v["status"] for v in here if v["status"] != "ok"] == [status], (point, report["lines"])
        assert all(v["status"] == "ok" for v in report["lines"] if v["line"] < n), report["lines"]
        text_out = invoke(["--verify", *point.split()], before + mutated).stdout
        assert text_out.splitlines()[-1] == ("the backward pass is wrong: the first statement that went "
                                             "wrong is line %d" % n), text_out
        rows = [r for r in text_out.splitlines() if re.match(r"\s*%d  " % n, r)]
        assert any((" fork bug: " if status == "fork" else " wrong: ") in r for r in rows), rows


@pytest.mark.parametrize("name", [n for n in VERIFIED if len(BLOCKS[n].files) > 1])
def test_verify_numbers_the_lines_of_the_file_they_are_in(name):
    # `-f` repeats, and an error names the file and its own line; --verify's
    # lines and the note on the backward pass should too.
    b = BLOCKS[name]
    text = (TUTORIALS / b.files[-1]).read_text("utf-8")
    _, report = verify_json(without_mode(name, b.cli))
    own = [line_of(text, v["statement"]) for v in report["lines"]]
    assert [v["line"] for v in report["lines"]] == own
    table = invoke(without_mode(name, b.cli)).stdout
    assert re.search(r"line %d on is a hand-written backward pass" % own[0], table), table.splitlines()[-1]


# --- the folder's README --------------------------------------------------------------

def test_the_readme_names_every_block_and_gives_each_run_line():
    readme = TUTORIALS / "README.md"
    text = readme.read_text("utf-8")
    assert set(re.findall(r"^\| `([\w.]+)` \|", text, re.M)) == set(BLOCKS)
    (commands,) = [b.text for b in docs.blocks("sh", readme)]
    assert commands.splitlines() == [shlex.join(["gradcli", *command(n)]) for n in BLOCKS]
