"""Lark's parser, built from grammar/gradcli.lark when it is first needed (to
explain an error), in memory: it never touches a cache directory, so a
read-only one is no problem."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gradcli import GradcliError, parse as parse_mod
from gradcli.parse import parse_lark

from .conftest import examples

EXAMPLES = examples()
PROGRAMS = [p.read_text("utf-8") for p in EXAMPLES] + [
    "sig(a*x+b*y+c)", "-x^2; 2^3^2", "var q = (a); q += 1", "a b", "x = ", "(x", "f()", "foo(x)",
    "2(3)", "a == b", "math.foo", "é", "sig(a, b)", "x)", "let a b = 1", "1e999", "a +\n",
]


def outcome(text: str):
    try:
        stmts = parse_lark(text)
        return "ok", stmts, [s.span for s in stmts]
    except GradcliError as e:
        return type(e).__name__, e.message, e.hint, e.span


@pytest.fixture
def fresh_parser(monkeypatch):
    """Forget the loaded parser, and fail any file access by lark's cache."""
    import lark.utils
    opened = []

    def no_files(*args, **kwargs):
        opened.append(args)
        raise PermissionError(13, "Read-only file system", args[0] if args else "")

    monkeypatch.setattr(lark.utils.FS, "open", staticmethod(no_files))
    monkeypatch.setattr(parse_mod, "_parser", None)
    yield opened


def test_the_parser_is_built_from_the_grammar_without_a_cache(fresh_parser):
    # Built in memory on first use: nothing read from or written to a cache.
    results = [outcome(t) for t in PROGRAMS]
    assert fresh_parser == []
    assert sum(o[0] == "ok" for o in results) >= len(EXAMPLES) + 2
    assert sum(o[0] == "ParseError" for o in results) >= 8
    assert outcome("a b")[:2] == ("ParseError", "two names in a row")


def test_valid_text_never_loads_lark():
    # The fast road reads valid programs; lark is imported only to explain an error.
    code = ("import sys; from gradcli.cli import run; sys.argv = ['gradcli', 'sig(x)', 'x=1', '--json']\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "assert 'lark' not in sys.modules, 'lark was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_command_runs_with_a_read_only_temp_dir(tmp_path):
    # Through the real command, in a fresh interpreter whose temp and cache
    # directories do not exist and cannot be made (a path under a file).
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"TMPDIR": str(blocker / "tmp"), "XDG_CACHE_HOME": str(blocker / "cache"),
           "HOME": str(blocker / "home"), "PATH": "/usr/bin:/bin"}
    code = ("import tempfile; tempfile.tempdir = %r\n"
            "from gradcli.cli import run; run()" % str(blocker / "tmp"))
    bad = subprocess.run([sys.executable, "-c", code, "a b"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("gradcli: syntax error at <expr> line 1")
    assert "two names in a row" in bad.stderr and "Traceback" not in bad.stderr
    good = subprocess.run([sys.executable, "-c", code, "sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3",
                           "--json", "--no-nodes"], capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stderr
    assert '"value": 0.8807970779778823' in good.stdout


TABLE_CHECK = """
import lark, gradcli, gradcli.parse as p
try:
    from gradcli import _table
except ImportError:
    print("no table in", gradcli.__file__)
    raise SystemExit(3)
same = _table.LARK_VERSION == lark.__version__
if same:  # the table fits: building a parser from the grammar is not allowed
    def refuse(*args, **kwargs):
        raise AssertionError("the grammar was compiled")
    lark.Lark.__init__ = refuse
try:
    p.parse_lark("a b")
except gradcli.ParseError as e:
    print("table" if same else "grammar", e.message)
"""


def test_the_installed_package_explains_errors_from_the_table_built_with_it(tmp_path):
    # pip builds the wheel with lark's LALR table for the grammar (setup.py), so
    # a syntax error is explained without compiling the grammar; with another
    # lark than the one it was built with, gradcli builds the parser instead.
    # In a fresh interpreter outside the source tree: the installed package.
    done = subprocess.run([sys.executable, "-c", TABLE_CHECK], capture_output=True, text=True, cwd=tmp_path)
    if done.returncode == 3:
        assert not os.environ.get("CI"), "CI installs gradcli from its wheel, which has the table: " + done.stdout
        pytest.skip("an editable install has no built table: " + done.stdout.strip())
    assert done.returncode == 0, done.stderr  # where the table fits, nothing was compiled
    assert done.stdout.strip() in ("table two names in a row", "grammar two names in a row")
