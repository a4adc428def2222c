"""The fast parser (fastparse.py) against lark and the grammar, the reference.

Both roads must give the same statements with the same spans, and whatever
the fast road gives up on must still be parsed, or rejected with the same
message, by lark. Random programs come from the grammar's own pieces;
token soups hit the edges (`**=`, `//`, `1.e5`, `math.x`, `var a b = 1`).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.ops import OPS
from gradcli import GradcliError, fastparse, flat, syntax
from gradcli.errors import Source
from gradcli.frontend import parse, read
from gradcli.parse import parse_lark

from .conftest import EXAMPLES_DIR, examples

EXAMPLES = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "300"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("GRADCLI_FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
EXAMPLE_FILES = examples()


def arrays(program: flat.Program) -> tuple:
    """Everything a flat program holds, spans included, as plain lists."""
    return tuple(list(getattr(program, f)) for f in flat.Program.COLUMNS)


def outcome(fn, text):
    try:
        return "ok", arrays(flat.from_ast(fn(text)))
    except GradcliError as e:
        return type(e).__name__, e.message, e.hint, e.span


def check_same(text: str) -> bool:
    """Both roads agree on `text`; True when the fast road took it."""
    fast = fastparse.parse(text)
    reference = outcome(parse_lark, text)
    if fast is not None:
        assert reference[0] == "ok", (text, reference)
        assert arrays(fast) == reference[1], text
        assert arrays(flat.from_ast(flat.to_ast(fast))) == reference[1], text
    assert outcome(parse, text) == reference, text
    assert outcome(lambda t: flat.to_ast(read(Source(t))), text) == reference, text
    return fast is not None


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(EXAMPLES_DIR).as_posix())
def test_examples_take_the_fast_road_and_agree(path):
    # Conditionals, comparisons and logic go to lark on purpose (the max gate's
    # and ReLU's `a === x ? 1.0 * dx : 0.0` in examples/tutorials/): those
    # files must still agree, and must not take the fast road.
    text = path.read_text("utf-8")
    assert check_same(text) != (uses_logic(text) or uses_array_syntax(text))


_LOGIC_OPS = {b.op for b in syntax.BINARY if b.logic} | {u.op for u in syntax.UNARY if u.logic} | {syntax.WHERE}


def uses_array_syntax(text: str) -> bool:
    """Whether lark's program for the text indexes, makes lists or calls numpy,
    which the fast parser leaves to lark (it reads `@` itself)."""
    program = flat.from_ast(parse_lark(text))
    return any(tag > 0 and arg not in OPS and arg != "matmul" for tag, arg in zip(program.tag, program.arg))


def uses_logic(text: str) -> bool:
    """Whether lark's program for the text applies a conditional, a comparison or logic."""
    program = flat.from_ast(parse_lark(text))
    return any(tag > 0 and arg in _LOGIC_OPS for tag, arg in zip(program.tag, program.arg))


@pytest.mark.parametrize("text", [
    "sig(a*x+b*y+c)", "-x^2", "2^3^2", "2^-x^2", "2**-x*y", "--a", "-+-a", "+x", "(x)", "((x))",
    "(-8)^(1/3)", "a - -b", "max(a, b, c)", "min(a)", "math.exp(x) + Math.PI * math.e",
    "x = 3\ny = -0.5; x*y", "var q = a*x; let r = q + 1; const s = -r\ns",
    "x += 1", "a*=2; a", "w17 = 0.03  # weight\nw17", "x = 1 // comment\nx", "1.e5 * .5 + 2E-3",
    "\n\n;x;;\n", "", "# only a comment", "f = sig(-(x)); f", "a = (3)\na", "a =- 3\na",
    "x\r\n+1",
])
def test_valid_programs_agree(text):
    assert check_same(text), "the fast road should take %r" % text


@pytest.mark.parametrize("text", [
    "a b", "var a b = 1", "x = ", "(x", "x)", "f()", "sig(a, b)", "foo(x)", "math.foo", "os.exp(x)",
    "2(3)", "(f)(x)", "a**=2", "a == b", "x = 1e999", "1e999 * x", "é + 1", "x = 3 4", "(a, b)",
    "max()", "x.5", "1.2.3", "'s'", "a +", "* a", "x = 3.5.2", "a -= ", "3 = x", "x = = 3",
])
def test_the_fast_road_leaves_errors_to_lark(text):
    assert not check_same(text)


_atoms = st.sampled_from(["x", "y", "a1", "_b", "pi", "3", "0.5", "1e-3", ".25", "2.", "math.pi", "Math.E",
                          "math.foo"])
_names = st.sampled_from(["sig", "exp", "log", "max", "min", "atan2", "math.exp", "Math.sqrt", "tanh", "foo"])


@st.composite
def expressions(draw, depth=0):
    if depth > 4 or draw(st.integers(0, 3)) == 0:
        return draw(_atoms)
    kind = draw(st.integers(0, 4))
    sp = draw(st.sampled_from(["", " ", "  "]))
    if kind == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/", "^", "**"]))
        return draw(expressions(depth + 1)) + sp + op + sp + draw(expressions(depth + 1))
    if kind == 1:
        return draw(st.sampled_from(["-", "+"])) + sp + draw(expressions(depth + 1))
    if kind == 2:
        return "(" + sp + draw(expressions(depth + 1)) + sp + ")"
    n = draw(st.integers(1, 3))
    return draw(_names) + "(" + ", ".join(draw(expressions(depth + 1)) for _ in range(n)) + ")"


@st.composite
def programs(draw):
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        head = draw(st.sampled_from(["", "", "x = ", "q = ", "y += ", "var z = ", "w = -", "k=", "a b = "]))
        lines.append(head + draw(expressions()) + draw(st.sampled_from(["", " # c", " // c"])))
    return draw(st.sampled_from(["\n", ";", "; ", "\n\n"])).join(lines)


@fuzz
@given(programs())
def test_random_programs_agree(text):
    check_same(text)


_soup = st.lists(st.sampled_from(["x", "y", "2", ".5", "1e3", "1.e", "+", "-", "*", "/", "**", "^", "=", "+=",
                                  "*=", "(", ")", ",", ";", "\n", " ", "#", "//", "sig", "max", "math.", "pi",
                                  "var", ".", "\t", "\r", "e", "é"]), max_size=14)


@fuzz
@given(_soup)
def test_token_soups_agree(tokens):
    check_same("".join(tokens))


def graph_fields(g) -> tuple:
    return (list(g.kind), [op and op.name for op in g.op], list(g.args), list(g.value), list(g.name),
            list(g.span), list(g.needs), list(g.live), dict(g.inputs), list(g.outputs))


def reference_build(text, bindings):
    """The graph by lark, the whole program at once."""
    from gradcli.frontend import backward_start
    from gradcli.graph import ArrayBuilder, Builder, NeedsArrays
    program = flat.from_ast(parse_lark(Source(text)))
    forward, _ = program.split(backward_start(program))
    try:
        return Builder(Source(text), bindings).program(forward)
    except NeedsArrays:  # an array program: the array builder's graph
        return ArrayBuilder(Source(text), bindings).program(forward)


def graph_outcome(build, text, bindings):
    try:
        return "ok", graph_fields(build(text, bindings))
    except GradcliError as e:
        return type(e).__name__, e.message, e.hint, e.span


@pytest.mark.parametrize("piece", [(1, 1), (2, 3), (1, None), (4096, 65536)])
@pytest.mark.parametrize("text", [p.read_text("utf-8") for p in EXAMPLE_FILES] + [
    "x = pi; pi = 3; x", "2*pi", "var pi = 3\npi*x", "# a; pi = 3\npi", "pi", "y = pi; y",
    "x = 1; x = x*2; x += 1; x", "a = 3; b = a; a = 5; a*b", "q = 2; z = q*q", "x = 3", "x = -2; x",
    "w = 1\nw = 2\nw", "x = 2\n3*x\nx*x", "c = c + 1", "x*y", "e = 2; e*E + math.e", "s = 1 ; ;\n",
    "y = (a + b) * (c - d) / -(e) ^ 2 + max(a, b*c, (d)) + math.pi", "a + (b) + (c + d) * sig(x + y)",
    "z = x*y + y; z += x*2 + 1; q = -z + z^2; q", "(((x + a) * b + a) * b + a) * b",
])
def test_built_a_piece_at_a_time_or_whole_the_graph_is_the_same(monkeypatch, piece, text):
    from gradcli import frontend
    monkeypatch.setattr(frontend, "PIECE", piece[0])
    monkeypatch.setattr(frontend, "PIECE_CODE", piece[1])  # cut long statements after every operator
    for bindings in ({}, {"x": 2.0, "y": -1.0, "c": 0.5}, {"pi": 1.0, "w": 4.0}):
        fast = graph_outcome(lambda t, b: frontend.build(Source(t), b), text, bindings)
        reference = graph_outcome(reference_build, text, bindings)
        assert fast == reference, (text, bindings)


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, derandomize=not os.environ.get("GRADCLI_FUZZ_EXAMPLES"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_programs_build_the_same_graph(text):
    from gradcli import frontend
    old = frontend.PIECE, frontend.PIECE_CODE
    frontend.PIECE, frontend.PIECE_CODE = 1, 1
    try:
        fast = graph_outcome(lambda t, b: frontend.build(Source(t), b), text, {"x": 1.5})
    finally:
        frontend.PIECE, frontend.PIECE_CODE = old
    reference = graph_outcome(reference_build, text, {"x": 1.5})
    assert fast == reference, text


def test_the_builder_keeps_every_name_in_scope_and_statements_say_what_they_bind():
    # --verify and Program read the names in scope after the build.
    from gradcli.frontend import build
    text = "y = v*2; q = 3; x = y + q; z = -1.5; x*z + w"
    g = build(Source(text), {"w": 1.0, "v": 2.0}, keep_scope=True)
    assert set(g.scope) == {"v", "x", "y", "q", "z", "w"}
    assert g.scope["x"] == g.name.index("x") and g.op[g.scope["x"]].name == "add"
    assert g.scope["q"] == g.inputs["q"] and g.scope["w"] == g.inputs["w"]
    assert set(g.computed) == {"y", "x"}
    program = read(Source(text))
    assert [program.number(k) for k in range(len(program))] == [None, 3.0, None, -1.5, None]
    assert read(Source("a = -(2); b = --2; c = +4")).number(0) == -2.0
    assert [read(Source("a = -(2); b = --2; c = +4")).number(k) for k in (1, 2)] == [None, 4.0]
