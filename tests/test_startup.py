"""What a run imports, and the plain command that is read without click.

A plain command (an expression, bindings, --json, --no-nodes, --step,
--steps, --every with plain values) is read by cli.plain_params, not by
click; it must give the mode exactly the parameters click would, and leave
to click every command it does not read the same way."""
import subprocess
import sys

import pytest

from gradcli import cli
from gradcli.command import choose_mode, main

N = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]


def click_params(args):
    ctx = main.make_context("gradcli", list(args))
    return ctx.params, choose_mode(ctx, ctx.params)


@pytest.mark.parametrize("args", [
    N, N + ["--json"], ["--json"] + N, N + ["--no-nodes"], N + ["--json", "--no-nodes"],
    N + ["--step", "0.01", "--steps", "200000", "--every", "200000", "--json"],
    ["--step", "-1e-3"] + N, N + ["--step", " 2.5E+1 ", "--steps", "0"], N + ["--steps", "007", "--step", "1"],
    ["x*x", "x=[1,2]", "--json"], ["x = 2; y = x*x; z = y + y"], ["x", "x=1", "x=2", "unbound=3"],
    ["x=1", "--json"], ["a b"], ["x", "x=1,5"],
])
def test_a_plain_command_gets_the_parameters_and_mode_click_gives(args):
    params = cli.plain_params(args)
    assert params is not None
    mode = params.pop("mode")
    expected, expected_mode = click_params(args)
    assert params == expected
    assert mode == expected_mode


@pytest.mark.parametrize("args", [
    ["--help"], ["-h"], ["--version"], N + ["--precision", "3"], ["--", "-x", "x=2"], ["-x^2", "x=3"],
    N + ["--jso"], N + ["--json", "--json"], N + ["--step", "0"], N + ["--step", "0x10"], N + ["--step", "1e400"],
    N + ["--step"], N + ["--step", "1", "--step", "2"], N + ["--step", "1", "--steps", "1_0"],
    N + ["--step", "1", "--steps", "-1"], N + ["--step", "1", "--steps", "\u0663"], N + ["--step", "1", "--every", "0"],
    N + ["--every", "2"], N + ["--steps", "3"], N + ["--json", "--format", "csv"], ["-", "x=1"], ["-f", "x.py"],
])
def test_every_other_command_is_left_to_click(args):
    assert cli.plain_params(args) is None


def test_shell_completion_is_left_to_click(monkeypatch):
    monkeypatch.setenv("_GRADCLI_COMPLETE", "bash_source")
    assert cli.plain_params(N) is None


def test_click_names_are_still_found_in_cli():
    assert cli.main is main and cli.Number.__module__ == "gradcli.command"
    with pytest.raises(AttributeError):
        cli.no_such_name


KEPT_OUT = {
    # a --json run of a valid scalar program: no click, rich, lark or numpy
    "json": (N + ["--json"], ["click", "rich", "lark", "numpy", "csv",
                              "gradcli.command", "gradcli.formats", "gradcli.parse"]),
    # the table: rich, but not click, lark or numpy
    "table": (N, ["click", "lark", "numpy", "gradcli.command", "gradcli.parse", "rich.pretty"]),
    # the step loop's --json: no click, rich, lark or numpy
    "steps": (N + ["--step", "0.01", "--steps", "100", "--every", "100", "--json"],
              ["click", "rich", "lark", "numpy", "gradcli.command", "gradcli.parse"]),
}
CODE = """
import sys
sys.argv = ["gradcli"] + sys.argv[1:]
from gradcli.cli import run
try:
    run()
except SystemExit as e:
    assert e.code == 0, e.code
sys.stderr.write(" ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("case", sorted(KEPT_OUT))
def test_a_plain_run_imports_only_what_it_needs(case):
    args, kept_out = KEPT_OUT[case]
    done = subprocess.run([sys.executable, "-c", CODE, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0.88" in done.stdout or '"value"' in done.stdout
    modules = set(done.stderr.split())
    assert "gradcli.engine" in modules
    assert not [m for m in kept_out if m in modules]


def test_a_command_that_needs_click_still_gets_it():
    done = subprocess.run([sys.executable, "-c", CODE, *N, "--precision", "3"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "click" in done.stderr.split() and "output sig(a*x+b*y+c) = 0.881" in done.stdout
