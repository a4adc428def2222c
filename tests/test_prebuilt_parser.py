"""The LALR table shipped in gradcli/_table.py: built from the grammar as it
is now, used without compiling anything, and never touching a cache
directory (so a read-only one is no problem)."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli import GradcliError, _table, parse as parse_mod
from gradcli.parse import parse_lark

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "gradcli.lark"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_file())
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


def test_the_table_was_built_from_this_grammar():
    assert _table.GRAMMAR_SHA256 == hashlib.sha256(GRAMMAR.read_bytes()).hexdigest(), (
        "grammar/gradcli.lark changed: run python scripts/build_parser.py")


def test_build_script_agrees():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_parser.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_shipped_table_parses_like_the_grammar(fresh_parser):
    from lark import Lark
    shipped = [outcome(t) for t in PROGRAMS]
    assert fresh_parser == []  # no cache file read or written
    compiled = Lark(GRAMMAR.read_text("utf-8"), parser="lalr", lexer="basic",
                    transformer=parse_mod._Build(), maybe_placeholders=True)
    parse_mod._parser = compiled
    assert [outcome(t) for t in PROGRAMS] == shipped
    assert sum(o[0] == "ok" for o in shipped) >= len(EXAMPLES) + 2
    assert sum(o[0] == "ParseError" for o in shipped) >= 8


def test_no_grammar_is_compiled(fresh_parser, monkeypatch):
    import lark.load_grammar

    def forbidden(*args, **kwargs):
        raise AssertionError("the grammar was compiled at run time")

    monkeypatch.setattr(lark.load_grammar, "load_grammar", forbidden)
    assert outcome("a b")[:2] == ("ParseError", "two names in a row")
    assert outcome("sig(x)")[0] == "ok"


def test_read_only_cache_and_a_table_lark_cannot_read(fresh_parser, monkeypatch):
    # With a table from an incompatible lark, gradcli builds the parser in
    # memory; still no cache file.
    monkeypatch.setattr(_table, "DATA", {"not": "a table"})
    assert outcome("a b")[:2] == ("ParseError", "two names in a row")
    assert outcome("q = 2*x; q")[0] == "ok"
    assert fresh_parser == []


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
