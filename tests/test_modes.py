"""The command line's modes: which options go with which (cli.MODES), what
--svg does in each, the layers of the command line's modules, and messages
in the words of the layer that shows them: the API's, the command line's
flags, the session's commands."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli import check, render, verify
from gradcli.cli import MODES, main
from gradcli.errors import GradcliError, InputError, MathError, Phrase, ProgramError
from gradcli.repl import Session
from gradcli.steps import Ascent

ROOT = Path(__file__).resolve().parent.parent

# A program with a hand-written backward pass, so that every mode can run on it.
PROGRAM = "f = x*y\ndf = 1\ndx = y * df\ndy = x * df\n"
BINDINGS = ["x=2", "y=3"]

CHOOSE = {"table": [], "steps": ["--step", "0.1"], "explain": ["--explain"], "emit": ["--emit", "python"],
          "verify": ["--verify"], "check": ["--check"], "dot": ["--dot"], "tree": ["--tree"],
          "draw": ["--draw", "{tmp}/c.svg"], "html": ["--html", "{tmp}/c.html"], "session": ["-i"]}
OPTION = {"svg": ["--svg", "{tmp}/out.svg"], "output": ["--output", "f"], "show_all": ["--all"],
          "no_nodes": ["--no-nodes"], "json": ["--json"], "csv": ["--format", "csv"],
          "tsv": ["--format", "tsv"], "markdown": ["--format", "markdown"], "steps": ["--steps", "2"],
          "descend": ["--descend"], "freeze": ["--freeze", "x"], "every": ["--every", "1"],
          "tol": ["--tol", "1e-9"], "plot": ["--plot"], "log": ["--log"], "h": ["--h", "1e-4"],
          "precision": ["--precision", "6"], "no_color": ["--no-color"]}


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def program_file(tmp_path) -> str:
    path = tmp_path / "bp.py"
    path.write_text(PROGRAM)
    return str(path)


def test_the_table_names_every_mode_and_option_it_is_tested_with():
    assert [m.name for m in MODES] == list(CHOOSE)
    named = {o for m in MODES for o in m.options} | {"precision", "no_color"}
    assert named == set(OPTION)


@pytest.mark.parametrize("mode", list(CHOOSE))
def test_every_option_with_every_mode_runs_or_is_refused_by_the_table(mode, tmp_path):
    row = next(m for m in MODES if m.name == mode)
    for name, words in OPTION.items():
        args = ["-f", program_file(tmp_path), *BINDINGS, *(w.format(tmp=tmp_path) for w in CHOOSE[mode]),
                *(w.format(tmp=tmp_path) for w in words)]
        r = run(*args)
        assert r.exit_code != 70 and "Traceback" not in r.output, (args, r.output)
        if row.takes(name):
            assert r.exit_code == 0, (args, r.output)
            assert "Error:" not in r.stderr
        else:
            flag = " ".join(words[:1]) if name not in ("csv", "tsv", "markdown") else " ".join(words)
            assert r.exit_code == 2 and r.stdout == "", (args, r.output)
            assert "Error: %s " % flag in r.stderr, (args, r.stderr)
            assert "goes with" in r.stderr or "only makes sense with" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--dot", "--tree"], "Error: --dot does not combine with --tree; choose one of --dot, --tree"),
    (["--step", "0.1", "--explain"], "Error: --step does not combine with --explain; choose one of --step, --explain"),
    (["--explain", "--paths", "--check"],
     "Error: --explain/--paths do not combine with --check; choose one of --explain/--paths, --check"),
    (["--json", "--emit", "js"], "Error: --json does not combine with --emit, which writes code; "
                                 "--json goes with the table, --step, --verify and --check"),
    (["--steps", "3", "--descend"], "Error: --steps, --descend only make sense with --step; "
                                    "give a step size, as in --step 0.01 --steps 100"),
    (["--h", "1e-3"], "Error: --h only makes sense with --check"),
    (["--output", "f", "--emit", "js"], "--output goes with the table, --step, --explain/--paths, --check, "
                                        "--dot, --tree, --draw and --html"),
    (["--all", "--tree"], "--all goes with the table, --explain/--paths, --draw and --html"),
    (["--format", "csv", "--check"], "Error: --format csv does not combine with --check"),
    (["--step", "0.1", "--plot", "--format", "json"],
     "Error: --plot draws for people and --json writes for programs; choose one"),
])
def test_a_usage_error_names_the_options_and_what_they_go_with(args, message):
    r = run(PROGRAM, *BINDINGS, *args)
    assert r.exit_code == 2 and r.stdout == ""
    assert message in r.stderr


def test_format_json_is_json_in_every_mode_that_writes_it():
    for mode in (["--check"], ["--step", "0.1"], ["--verify"]):
        assert run(PROGRAM, *BINDINGS, *mode, "--format", "json").stdout == \
            run(PROGRAM, *BINDINGS, *mode, "--json").stdout


def test_on_a_terminal_options_of_another_mode_ask_for_a_program_instead_of_a_session():
    env = dict(os.environ, NO_COLOR="1", GRADCLI_HISTORY="")
    child = pexpect.spawn(sys.executable, ["-m", "gradcli", "--json"], env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "no program given" in child.before and "gradcli>" not in child.before


# -- --svg in each mode ------------------------------------------------------------------

def svg_text(path) -> str:
    svg = Path(path).read_text()
    assert svg.startswith("<svg")
    return "".join(unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)).replace("\xa0", " ")


@pytest.mark.parametrize("mode, shown", [
    (["--verify"], "every claimed gradient is right"),
    (["--check"], "every gradient agrees"),
    (["--explain"], "dx = y * df = 3 * 1 = 3"),
    (["--paths"], "paths"),
    (["--tree"], "value 6"),
    ([], "output f = 6"),
])
def test_svg_saves_what_the_mode_shows(mode, shown, tmp_path):
    path = tmp_path / "out.svg"
    r = run("-f", program_file(tmp_path), *BINDINGS, *mode, "--svg", str(path))
    assert r.exit_code == 0, r.output
    words = [w for w in shown.split() if w]
    text = svg_text(path)
    assert all(w in text for w in words), text
    assert shown in r.stdout


def test_verify_svg_of_the_example_program(tmp_path):
    path = tmp_path / "verify.svg"
    r = run("--verify", "--svg", str(path), "-f", str(ROOT / "examples" / "cs231n_backprop.py"))
    assert r.exit_code == 0, r.output
    assert "every claimed gradient is right" in svg_text(path).replace("  ", " ")


@pytest.mark.parametrize("mode, why", [
    (["--dot"], "--dot, which writes Graphviz text (dot -Tsvg draws it)"),
    (["--emit", "python"], "--emit, which writes code"),
    (["--step", "0.1"], "--step, which prints its own steps and summary"),
    (["-i"], "--interactive, which opens a session"),
])
def test_svg_is_refused_with_a_reason_where_there_is_nothing_to_draw(mode, why, tmp_path):
    path = tmp_path / "out.svg"
    r = run(PROGRAM, *BINDINGS, *mode, "--svg", str(path))
    assert r.exit_code == 2 and not path.exists()
    assert "--svg does not combine with %s; --svg goes with the table, --explain/--paths, --verify, " \
           "--check and --tree" % why in r.stderr


def test_svg_that_cannot_be_written_is_an_input_error_in_every_mode(tmp_path):
    for mode in ([], ["--verify"], ["--check"], ["--tree"], ["--explain"]):
        r = run(PROGRAM, *BINDINGS, *mode, "--svg", str(tmp_path / "no" / "dir.svg"))
        assert r.exit_code == 2 and "cannot write" in r.stderr and r.stdout == ""


# -- layers --------------------------------------------------------------------------------

def test_the_modules_form_layers():
    # The contract in pyproject.toml, as CI checks it: the command line on
    # top, its mode handlers and the session below it, the console helper
    # below them, and nothing below reaching up.
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


# -- messages in each layer's words -------------------------------------------------------

def no_flags(text: str) -> str:
    assert "--" not in text, text
    return text


def raised(fn, *args, **kwargs) -> GradcliError:
    with pytest.raises(GradcliError) as info:
        fn(*args, **kwargs)
    e = info.value
    no_flags(str(e))
    no_flags(e.message)
    no_flags(e.hint)
    no_flags(e.render())
    return e


def test_the_api_speaks_of_its_parameters_without_flags():
    g = gradcli.compile("x^2", dict(x=1))
    assert raised(Ascent, g, float("nan")).hint == "as in step=0.01"
    assert raised(Ascent, g, 0.1, every=0).message == "every needs a whole number of 1 or more"
    assert raised(Ascent, g, 0.1, tol=-1.0).hint == "as in tol=1e-9"
    e = raised(gradcli.ascend("exp(x)", 1000, 3, bindings={"x": 1}).run)
    assert isinstance(e, MathError) and "a smaller step (now 1000) may keep it in range" in e.hint
    e = raised(gradcli.grad, "# only a comment")
    assert e.hint == "give an expression, as in: x*y"
    assert raised(gradcli.grad, "x*y", x=2).hint == "bind it in the call (y=1) or in the program (y = 1)"
    e = raised(gradcli.evaluate, "q = x*y; q", {"q": 1, "x": 1, "y": 2})
    assert e.message == "q is computed by the program, so it cannot be bound as an input"
    e = raised(verify.verify, "f = x*y; f; x\ndf = 1\ndx = y * df", {"x": 2, "y": 3})
    assert e.message.startswith("verify() needs a forward pass with one output")


def test_the_api_notes_and_renderers_speak_without_flags():
    [r] = gradcli.evaluate(PROGRAM, {"x": 2, "y": 3})
    assert no_flags(r.notes[-1]).endswith("not part of the output; verify() checks it")
    assert "verify() checks it" in render.to_json(r)["notes"][-1]
    [kink] = check.check(gradcli.evaluate("abs(x)", {"x": 1e-6}))
    assert no_flags(kink.inputs[0].kink).endswith("choose a smaller h or move away from it")
    [undefined] = check.check(gradcli.evaluate("sqrt(x) + sqrt(2e-5 - x)", {"x": 1e-5}), 2e-5)
    for report in (kink, undefined):
        console = Console(file=io.StringIO(), width=200, color_system=None)
        console.print(check.check_table(report))
        no_flags(console.file.getvalue())
    assert "try another h" in console.file.getvalue()
    [big] = gradcli.evaluate(" + ".join("w%d" % i for i in range(40)), {"w%d" % i: 1 for i in range(40)})
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render.table(big, max_rows=10))
    assert "(max_rows=None shows every node)" in no_flags(console.file.getvalue())


@pytest.mark.parametrize("args, shown", [
    (["x^2", "x=1", "--step", "nan"], "Invalid value for '--step': 'nan' is not a number"),
    (["x^2", "x=1", "--step", "0.1", "--tol", "nan"], "Invalid value for '--tol': 'nan' is not a number"),
    (["exp(x)", "x=1", "--step", "1000", "--steps", "3"], "a smaller --step (now 1000) may keep it in range"),
    (["abs(x)", "x=1e-6", "--check"], "choose a smaller --h or move away from it"),
    (["abs(x)", "x=1e-6", "--check", "--json"], "choose a smaller --h or move away from it"),
    (["sqrt(x) + sqrt(2e-5 - x)", "x=1e-5", "--check", "--h", "2e-5"], "try another --h"),
    ([" + ".join("w%d" % i for i in range(40))] + ["w%d=1" % i for i in range(40)], "(--all shows every node)"),
    (["# only a comment"], 'hint: give an expression, as in: gradcli "x*y" x=2 y=3'),
    (["x*y", "x=2"], "hint: bind it on the command line (y=1) or in the program (y = 1)"),
    (["q = x*y; q", "q=1", "x=1", "y=2"], "q is computed by the program, so it cannot be bound on the command line"),
    (["f = x*y; f; x\ndf = 1\ndx = y * df", "x=2", "y=3", "--verify"],
     "--verify needs a forward pass with one output"),
    ([PROGRAM, *BINDINGS], "not part of the output; --verify checks it"),
    ([PROGRAM, *BINDINGS, "--json"], "not part of the output; --verify checks it"),
    ([PROGRAM, *BINDINGS, "--format", "markdown"], "not part of the output; --verify checks it"),
    ([PROGRAM, *BINDINGS, "--step", "0.1"], "not part of the output; --verify checks it"),
    ([PROGRAM, *BINDINGS, "--step", "0.1", "--json"], "not part of the output; --verify checks it"),
])
def test_the_command_line_shows_its_flags(args, shown):
    assert shown in run(*args).output


def session() -> tuple[Session, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    s = Session(Console(file=out, width=200, color_system=None), Console(file=err, width=200, color_system=None))
    return s, out, err


def test_the_session_shows_its_commands():
    s, out, err = session()
    s.handle("x = 1")
    s.handle(":step 1000 3 exp(x)")
    assert "hint: the loop stopped before this update; a smaller :step (now 1000) may keep it in range" \
        in err.getvalue()
    s.handle(":descend 1000 3 -exp(x)")
    assert "a smaller :descend (now 1000)" in err.getvalue()
    s.handle("x*y")
    assert "hint: bind it at the prompt or in the program (y = 1)" in err.getvalue()
    s.handle("; ".join("w%d = 1" % i for i in range(40)))
    s.handle(" + ".join("w%d" % i for i in range(40)))
    assert "(gradcli --all shows every node)" in out.getvalue()
    assert "--step" not in err.getvalue() and "on the command line" not in err.getvalue()


def test_a_phrase_is_library_text_that_another_layer_can_tell_again():
    p = Phrase("a smaller {step} (now %s); as in {tol=1e-9}; {unknown}", "1e3")
    assert p == "a smaller step (now 1e3); as in tol=1e-9; {unknown}" and isinstance(p, str)
    assert p.say({"step": "--step", "tol=": "--tol {}"}) == "a smaller --step (now 1e3); as in --tol 1e-9; {unknown}"
    # names and numbers from a program are never read as placeholders
    assert Phrase("%s needs {h}", "{h}").say({"h": "--h"}) == "{h} needs --h"
    e = InputError(Phrase("{every} needs a whole number"), hint=Phrase("as in {step=0.01}"))
    assert e.render({"every": "--every", "step=": "--step {}"}) == \
        "gradcli: input error: --every needs a whole number\nhint: as in --step 0.01"
    assert e.to_json()["hint"] == "as in step=0.01"
    assert isinstance(ProgramError("plain", hint="text").render({"step": "--step"}), str)
