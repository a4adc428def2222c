"""What people expect of a command-line tool: --version, --help with
examples and sections, shell completion, '-' for stdin, exit codes,
NO_COLOR, several files joined with errors reported per file."""
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main

from . import docs

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, input=None, env=None):
    """Run `python -m gradcli` as a user would, from the source tree."""
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "gradcli", *args], input=input, capture_output=True,
                          text=True, cwd=ROOT, env=e, timeout=60)


def test_version_is_the_packages():
    out = cli("--version")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert out.returncode == 0 and out.stdout == "gradcli, version %s\n" % version
    assert gradcli.__version__ == version
    assert cli("-V").stdout == out.stdout


def test_help_has_sections_examples_and_exit_codes():
    out = CliRunner().invoke(main, ["--help"]).output
    sections = re.findall(r"^(\w[\w ]*options):$", out, re.M)
    assert sections == ["Input options", "Output options", "Gradient ascent options", "Explain options", "Other options"]
    input_part = out.split("Input options:")[1].split("Output options:")[0]
    assert "--file" in input_part and "--interactive" in input_part
    output_part = out.split("Output options:")[1].split("Other options:")[0]
    for opt in ("--format", "--json", "--svg", "--precision", "--no-color"):
        assert opt in output_part
    assert "Exit codes: 0 success, 1 math error" in out
    assert "_GRADCLI_COMPLETE=bash_source gradcli" in out
    assert CliRunner().invoke(main, ["-h"]).output == out


def help_examples():
    out = CliRunner().invoke(main, ["--help"]).output
    block = out.split("Examples:")[1].split("\n\n")[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("example", help_examples())
def test_every_example_in_the_help_runs(example, tmp_path):
    command = example.split("#")[0].strip()
    if "-i" in shlex.split(command):
        return  # the session: see test_repl.py
    command = command.replace("neuron.svg", str(tmp_path / "neuron.svg")).replace(
        "grads.csv", str(tmp_path / "grads.csv"))
    exe = "%s -m gradcli" % shlex.quote(sys.executable)
    out = subprocess.run(command.replace("gradcli ", exe + " "), shell=True, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, (example, out.stderr)
    assert out.stderr == ""


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _gradcli_completion gradcli"),
    ("zsh", "compdef _gradcli_completion gradcli"),
    ("fish", "complete --no-files --command gradcli"),
])
def test_completion_scripts_for_each_shell(shell, marker):
    out = cli(env={"_GRADCLI_COMPLETE": "%s_source" % shell})
    assert out.returncode == 0
    assert marker in out.stdout


def complete(words, cword):
    out = cli(env={"_GRADCLI_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    return out.stdout.split()


def test_completion_offers_options_and_format_names():
    assert "plain,--format" in complete("gradcli --for", 1)
    assert complete("gradcli --format m", 2) == ["plain,markdown"]
    assert complete("gradcli -f ", 2) == ["file,"]  # the shell completes file names


def test_dash_is_stdin_for_the_expression_and_for_files():
    assert cli("-", "x=3", input="x*x\n").stdout == cli("x*x", "x=3").stdout
    joined = cli("-f", "-", "-f", "examples/cs231n_chain.py", input="z = -4\n", env={"NO_COLOR": "1"})
    assert joined.returncode == 0, joined.stderr
    assert "-12" in joined.stdout


@pytest.mark.parametrize("args, code, words", [
    (["x*y", "x=2", "y=3"], 0, ""),
    (["log(x)", "x=-1"], 1, "math error"),
    (["x*"], 2, "syntax error"),
    (["x*y", "x=2"], 2, "no value for input y"),
    (["x", "x=abc"], 2, "not a number"),
    (["-f", "no/such/file.py"], 2, "no such file"),
    (["x", "--precision", "0"], 2, "Invalid value"),
])
def test_exit_codes_are_the_documented_ones(args, code, words):
    out = cli(*args)
    assert out.returncode == code
    assert words in out.stderr
    assert re.search(r"^\| %d \|" % code, exit_code_table(), re.M)


def exit_code_table():
    """The documentation's table of exit codes (README.md or a docs/*.md page)."""
    tables = [m.group(0) for p in docs.pages()
              for m in re.finditer(r"^\| exit code \|.*\n(?:\|.*\n)*", docs.prose(p), re.M)]
    assert len(tables) == 1, "one table of exit codes, in one place"
    return tables[0]


def test_interrupt_and_internal_error_codes_are_documented():
    table = exit_code_table()
    assert re.search(r"^\| 70 \|", table, re.M) and re.search(r"^\| 130 \|", table, re.M)


def test_piped_output_has_no_colour_codes():
    out = cli("sig(x)", "x=1")
    assert "\x1b[" not in out.stdout and "0.7311" in out.stdout


@pytest.mark.parametrize("args, env, colours", [
    ([], {}, True),
    (["--no-color"], {}, False),
    ([], {"NO_COLOR": "1"}, False),
])
def test_a_terminal_gets_colour_unless_no_color(args, env, colours):
    e = dict(os.environ, TERM="xterm-256color", **env)
    e.pop("NO_COLOR", None) if "NO_COLOR" not in env else None
    child = pexpect.spawn(sys.executable, ["-m", "gradcli", "sig(x)", "x=1", *args], env=e,
                          encoding="utf-8", timeout=60, dimensions=(40, 100))
    child.expect(pexpect.EOF)
    text = child.before
    child.close()
    assert child.exitstatus == 0 and "0.7311" in text
    coloured = re.search(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;)", text) is not None
    assert coloured == colours


def test_several_files_are_joined_and_errors_name_the_file_and_its_line(tmp_path):
    (tmp_path / "inputs.py").write_text("x = 3\ny = -4\n")
    (tmp_path / "model.py").write_text("# the model\nq = x*y\nlog(q)\n")
    out = cli("-f", str(tmp_path / "inputs.py"), "-f", str(tmp_path / "model.py"))
    assert out.returncode == 1
    first = out.stderr.splitlines()[0]
    assert first.startswith("gradcli: math error at %s line 3, column 1: log(q)" % (tmp_path / "model.py"))
    assert out.stderr.splitlines()[1:3] == ["  log(q)", "  ^^^^^^"]

    (tmp_path / "model.py").write_text("q = x*y\nq*q +\n")
    out = cli("-f", str(tmp_path / "inputs.py"), "-f", str(tmp_path / "model.py"))
    assert out.returncode == 2
    assert "syntax error at %s line 2, column 6" % (tmp_path / "model.py") in out.stderr

    (tmp_path / "model.py").write_text("q = x*y\nq*q\n")
    out = cli("-f", str(tmp_path / "inputs.py"), "-f", str(tmp_path / "model.py"), "--json")
    assert out.returncode == 0 and '"value": 144.0' in out.stdout and '"x": 96.0' in out.stdout  # 2*q*y = 2*(-12)*(-4)


def test_a_program_given_and_a_terminal_does_not_open_a_session():
    child = pexpect.spawn(sys.executable, ["-m", "gradcli", "x*y", "x=2", "y=3"], encoding="utf-8",
                          timeout=60, env=dict(os.environ, NO_COLOR="1"))
    child.expect(pexpect.EOF)
    child.close()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", child.before)
    assert child.exitstatus == 0 and "output x*y = 6" in plain
