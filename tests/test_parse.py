"""The parser: text -> syntax tree, and every syntax error with its place and its words."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings, strategies as st

import gradcli
from gradcli.ast import Apply, Assign, Name, Num, Output
from gradcli.errors import GradcliError, ParseError, ProgramError
from gradcli.frontend import parse

from .conftest import EXAMPLES, examples


def expr(text):
    """The syntax tree of a single expression."""
    stmts = parse(text)
    assert len(stmts) == 1 and isinstance(stmts[0], Output), stmts
    return stmts[0].expr


def A(op, *args):
    return Apply(op, tuple(args))


x, y, z, a, b, c = (Name(n) for n in "xyzabc")


# --- precedence and associativity -------------------------------------------

@pytest.mark.parametrize("text, tree", [
    ("-x^2", A("neg", A("pow", x, Num(2)))),
    ("-x**2", A("neg", A("pow", x, Num(2)))),
    ("2^3^2", A("pow", Num(2), A("pow", Num(3), Num(2)))),
    ("2**3**2", A("pow", Num(2), A("pow", Num(3), Num(2)))),
    ("2^-1", A("pow", Num(2), A("neg", Num(1)))),
    ("x**-y", A("pow", x, A("neg", y))),
    ("2^-x^2", A("pow", Num(2), A("neg", A("pow", x, Num(2))))),
    ("a * -b", A("mul", a, A("neg", b))),
    ("a / -b", A("div", a, A("neg", b))),
    ("a * +b", A("mul", a, b)),
    ("a - -b", A("sub", a, A("neg", b))),
    ("--x", A("neg", A("neg", x))),
    ("+-x", A("neg", x)),
    ("a-b-c", A("sub", A("sub", a, b), c)),
    ("a/b/c", A("div", A("div", a, b), c)),
    ("a-b+c", A("add", A("sub", a, b), c)),
    ("a/b*c", A("mul", A("div", a, b), c)),
    ("a+b*c", A("add", a, A("mul", b, c))),
    ("a*b+c", A("add", A("mul", a, b), c)),
    ("a*b^c", A("mul", a, A("pow", b, c))),
    ("(a+b)*c", A("mul", A("add", a, b), c)),
    ("a-(b-c)", A("sub", a, A("sub", b, c))),
    ("(2^3)^2", A("pow", A("pow", Num(2), Num(3)), Num(2))),
    ("-(x)^2", A("neg", A("pow", x, Num(2)))),
    ("(-x)^2", A("pow", A("neg", x), Num(2))),
    ("sig(x)^2", A("pow", A("sig", x), Num(2))),
    ("((((x))))", x),
])
def test_precedence_and_associativity(text, tree):
    assert expr(text) == tree


@pytest.mark.parametrize("text, value", [
    ("2^3^2", 512.0), ("2**3**2", 512.0), ("-2^2", -4.0), ("(-2)^2", 4.0), ("2^-1", 0.5),
    ("8/4/2", 1.0), ("10-4-3", 3.0), ("2*-3", -6.0), ("6/-3", -2.0), ("-3^2 + 10", 1.0),
])
def test_precedence_in_values(text, value):
    assert gradcli.grad(text).value == value


# --- numbers ----------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("3", 3.0), ("3.5", 3.5), (".5", 0.5), ("1e-3", 1e-3), ("2.5E+4", 2.5e4), ("2.5e4", 25000.0),
    ("1.", 1.0), ("007", 7.0), ("1E3", 1000.0), ("0.000001", 1e-6), ("1.7976931348623157e308", 1.7976931348623157e308),
])
def test_number_forms(text, value):
    tree = expr(text)
    assert tree == Num(value) and tree.value == value


def test_a_number_too_large_is_an_error_at_the_number():
    with pytest.raises(ProgramError) as e:
        parse("x + 1e999")
    assert e.value.position == (1, 5)
    assert "1e999" in e.value.message and "too large" in e.value.message
    assert e.value.render().splitlines()[1:3] == ["  x + 1e999", "      ^^^^^"]


def test_power_spellings_are_the_same_op():
    assert expr("x^y") == expr("x**y") == expr("pow(x, y)") == expr("Math.pow(x, y)") == A("pow", x, y)


# --- statements ---------------------------------------------------------------

def test_statements_by_newline_and_semicolon_are_the_same_program():
    want = [Assign("a", Num(1)), Assign("q", A("mul", a, x)), Output(A("sig", Name("q")))]
    assert parse("a = 1; q = a*x; sig(q)") == want
    assert parse("a = 1\nq = a*x\nsig(q)") == want
    assert parse("a = 1;\n q = a*x ;\n\nsig(q);\n") == want
    assert parse("\n\n;;a = 1;;;q = a*x\n\n\nsig(q)\n\n") == want
    assert parse("a = 1\r\nq = a*x\r\nsig(q)\r\n") == want


@pytest.mark.parametrize("keyword", ["var", "let", "const"])
def test_declarations(keyword):
    assert parse("%s a = 1.0; %s b = a * 2" % (keyword, keyword)) == [
        Assign("a", Num(1.0)), Assign("b", A("mul", a, Num(2)))]


def test_declaration_keywords_are_names_elsewhere():
    assert parse("var = 3; let * const") == [Assign("var", Num(3)),
                                              Output(A("mul", Name("let"), Name("const")))]


@pytest.mark.parametrize("op, aug", [("+=", "+"), ("-=", "-"), ("*=", "*"), ("/=", "/")])
def test_augmented_assignment(op, aug):
    assert parse("q %s x + 1" % op) == [Assign("q", A("add", x, Num(1)), aug)]
    assert parse("var q %s 2" % op) == [Assign("q", Num(2), aug)]


def test_reassignment_is_kept_in_order():
    assert parse("q = 1; q = q * 2; q") == [Assign("q", Num(1)), Assign("q", A("mul", Name("q"), Num(2))),
                                           Output(Name("q"))]


@pytest.mark.parametrize("text", [
    "x = 1 # a comment\ny = x // another\ny",
    "# heading\n// heading\nx = 1  #c\n\ny = x#c;still a comment\n  // indented\ny",
    "x = 1 // y = 2; 3\ny = x\ny  # trailing comment without newline",
])
def test_comments_run_to_the_end_of_the_line(text):
    assert parse(text) == [Assign("x", Num(1)), Assign("y", x), Output(y)]


def test_an_empty_program_parses_to_nothing_and_evaluates_to_an_error():
    for text in ("", "\n\n", ";;", "# only a comment", "// only\n# comments\n"):
        assert parse(text) == []
        with pytest.raises(ProgramError, match="nothing to compute"):
            gradcli.evaluate(text)


def test_several_outputs():
    assert parse("x*y; x+y\nx") == [Output(A("mul", x, y)), Output(A("add", x, y)), Output(x)]


# --- functions, prefixes and constants -----------------------------------------

@pytest.mark.parametrize("prefix", ["", "math.", "Math."])
def test_prefixes_on_functions(prefix):
    assert expr("%sexp(x) + %smax(x, y, 1)" % (prefix, prefix)) == A(
        "add", A("exp", x), A("max", x, y, Num(1)))


@pytest.mark.parametrize("alias, op", [("sigmoid", "sig"), ("ln", "log"), ("Math.log", "log"),
                                       ("math.sigmoid", "sig"), ("pow", "pow")])
def test_function_aliases(alias, op):
    args = (x, y) if op == "pow" else (x,)
    assert expr("%s(%s)" % (alias, ", ".join(n.id for n in args))) == Apply(op, args)


def test_function_names_are_not_reserved():
    assert expr("exp(exp)") == A("exp", Name("exp"))
    assert gradcli.grad("exp(exp)", exp=0.0).value == 1.0


@pytest.mark.parametrize("text", ["pi", "math.pi", "Math.PI", "math.PI", "Math.pi"])
def test_pi(text):
    r = gradcli.grad("2*%s*x" % text, x=1.0)
    assert r.value == 2 * math.pi and r.gradients == {"x": 2 * math.pi}


@pytest.mark.parametrize("text", ["math.e", "Math.E"])
def test_e(text):
    assert gradcli.grad("%s*x" % text, x=2.0).value == 2 * math.e


def test_prefixed_constants_are_numbers_in_the_tree():
    assert expr("math.pi") == Num(math.pi) and expr("Math.E") == Num(math.e)


def test_a_program_that_binds_pi_makes_it_a_variable():
    r = gradcli.grad("pi = 3; pi * x", x=2.0)
    assert r.value == 6.0 and r.gradients == {"pi": 2.0, "x": 3.0}
    # Assigned later in the program: still a variable everywhere.
    r = gradcli.grad("y = pi * x; pi = 3; y", x=2.0)
    assert r.value == 6.0
    # Bound on the command line.
    r = gradcli.grad("pi * x", x=2.0, pi=3.0)
    assert r.value == 6.0 and r.gradients == {"x": 3.0, "pi": 2.0}
    # The prefixed spelling stays the constant.
    assert gradcli.grad("pi = 3; math.pi * pi").value == 3 * math.pi


def test_bare_e_is_a_variable():
    assert gradcli.grad("e * 2", e=5.0).value == 10.0


# --- spans ----------------------------------------------------------------------

def test_spans_point_into_the_source():
    text = "q = a*x + b\nsig(q)"
    stmts = parse(text)
    value = stmts[0].value
    assert text[slice(*value.span)] == "a*x + b"
    assert text[slice(*value.args[0].span)] == "a*x"
    assert text[slice(*stmts[1].expr.span)] == "sig(q)"
    assert text[slice(*stmts[0].span)] == "q"


def test_parenthesised_spans_include_their_parentheses():
    text = "(a + b) / (c + d)"
    tree = expr(text)
    assert text[slice(*tree.span)] == text
    assert text[slice(*tree.args[0].span)] == "(a + b)"


# --- errors ---------------------------------------------------------------------

LARK_WORDS = re.compile(r"\b(RPAR|LPAR|_SEP|SEP|QNAME|NAME|NUMBER|\$END|PLUS|MINUS|STAR|SLASH|POW|ASSIGN|"
                        r"COMMA|Token|Tree|__ANON|ANON|_line|stmt|atom|unary|product)\b")


def error_of(text):
    with pytest.raises(GradcliError) as info:
        parse(text)
    e = info.value
    assert e.exit_code == 2
    rendered = e.render()
    assert not LARK_WORDS.search(rendered), rendered
    assert "Traceback" not in rendered
    return e, rendered


def where(rendered):
    """(first line, source line, caret line) of a rendered error."""
    lines = rendered.splitlines()
    return lines[0], lines[1], lines[2]


@pytest.mark.parametrize("text, line, col, caret, words, hint", [
    # unclosed parenthesis at the end: caret just past the text
    ("sig(a*x+b*y+c", 1, 14, "               ^", "the input ends too early; expected an operator, ')' or ','",
     "a '(' is not closed; add ')'"),
    ("(x+y", 1, 5, "      ^", "the input ends too early; expected an operator or ')'", "a '(' is not closed"),
    # a dangling operator
    ("x*", 1, 3, "    ^", "the input ends too early; expected a number, a name or '('", ""),
    ("x^", 1, 3, "    ^", "the input ends too early; expected a number, a name or '('", ""),
    ("x = ", 1, 4, "     ^", "the input ends too early; expected a number, a name or '('", ""),
    ("x +* 2", 1, 4, "     ^", "unexpected symbol '*'; expected a number, a name or '('", ""),
    # two operands in a row
    ("2 3", 1, 3, "    ^", "unexpected number '3'", "write multiplication explicitly"),
    ("2x", 1, 2, "   ^", "unexpected name 'x'", "write multiplication explicitly"),
    ("x y", 1, 3, "    ^", "two names in a row", "put an operator between them"),
    ("a b + c", 1, 3, "    ^", "two names in a row", "put an operator between them"),
    # parentheses
    ("x)", 1, 2, "   ^", "unexpected symbol ')'", "this ')' has no matching '('"),
    ("()", 1, 2, "   ^", "unexpected symbol ')'; expected a number, a name or '('", ""),
    ("sig(x,)", 1, 7, "        ^", "unexpected symbol ')'; expected a number, a name or '('", ""),
    # characters gradcli does not know
    ("x $ 2", 1, 3, "    ^", "unexpected character '$'", ""),
    ("'x'", 1, 1, "  ^", "unexpected character", "gradcli has no strings"),
    ("a < b < c", 1, 7, "        ^", "unexpected symbol '<'", "comparisons do not chain"),
    # a declaration without a value
    ("let x", 1, 6, "       ^", "the input ends too early; expected '='", ""),
    ("3 = x", 1, 3, "    ^", "unexpected symbol '='; expected an operator or the end of the statement", ""),
    ("x == 2 != y", 1, 8, "         ^^", "unexpected symbol '!='", "comparisons do not chain"),
    ("a b = 3", 1, 3, "    ^", "unexpected name 'b' after 'a'", "put an operator between the two names"),
    ("max(x y)", 1, 7, "        ^", "unexpected name 'y'; expected an operator, ')' or ','", "multiplication"),
])
def test_syntax_errors(text, line, col, caret, words, hint):
    e, rendered = error_of(text)
    assert isinstance(e, ParseError)
    assert e.position == (line, col)
    first, source, carets = where(rendered)
    assert first == "gradcli: syntax error at <expr> line %d, column %d: %s" % (line, col, e.message)
    assert words in e.message
    assert source == "  " + text.splitlines()[line - 1] if text.strip() else True
    assert carets == caret
    if hint:
        assert hint in e.hint
    else:
        assert "has no matching" not in e.hint


def test_a_close_parenthesis_with_its_open_one_gets_no_unmatched_hint():
    e, _ = error_of("sig(x,)")
    assert "no matching" not in e.hint
    e, _ = error_of("max(1, (,x))")
    assert "no matching" not in e.hint


def test_unexpected_characters_do_not_list_impossible_continuations():
    # After `x`, neither ')' nor ',' can follow at the top level.
    e, _ = error_of("x $ 2")
    assert "')'" not in e.message and "','" not in e.message


def test_expected_lists_read_as_a_list():
    e, _ = error_of("sig(,x)")
    assert " or '(' or " not in e.message
    assert "')'" in e.message


def test_errors_on_later_lines_show_that_line():
    e, rendered = error_of("x = 1\n\ny = x $ 2")
    assert e.position == (3, 7)
    _, source, carets = where(rendered)
    assert source == "  y = x $ 2" and carets == "        ^"


def test_a_statement_cut_by_a_newline():
    e, rendered = error_of("x = 1\ny = (x +\nz")
    assert e.position == (2, 9)
    assert "the statement ends too early" in e.message
    assert "expected a number, a name or '('" in e.message


def test_errors_name_the_file():
    with pytest.raises(ParseError) as info:
        parse("x = (1", name="prog.py")
    assert info.value.render().startswith("gradcli: syntax error at prog.py line 1, column 7:")


@pytest.mark.parametrize("text, col, message, hint", [
    ("foo(x)", 1, "unknown function 'foo'", "the functions are abs, acos"),
    ("sgi(x)", 1, "unknown function 'sgi'", "did you mean sig?"),
    ("y + exq(x)", 5, "unknown function 'exq'", "did you mean exp?"),
    ("Math.ecp(x)", 1, "unknown function 'Math.ecp'", "did you mean exp?"),
    ("sqr(x)", 1, "unknown function 'sqr'", "did you mean sqrt?"),
    ("foo.exp(x)", 1, "unknown function 'foo.exp'", "only math. and Math. may prefix"),
    ("Math.exp", 1, "unknown constant 'Math.exp'", "the constants are pi"),
    ("x.y", 1, "unknown constant 'x.y'", "only math. and Math. may prefix"),
    ("atan2(x)", 1, "atan2 takes 2 arguments, not 1", "for example atan2(x, y)"),
    ("sig(x, y)", 1, "sig takes 1 argument, not 2", "for example sig(x)"),
    ("sig()", 1, "sig takes 1 argument, not 0", "for example sig(x)"),
    ("1 + pow(x)", 5, "pow takes 2 arguments, not 1", "for example pow(x, y)"),
    ("max()", 1, "max takes at least 1 argument, not 0", "max(a, b, c)"),
])
def test_program_errors(text, col, message, hint):
    e, rendered = error_of(text)
    assert isinstance(e, ProgramError)
    assert e.message == message
    assert hint in e.hint
    assert e.position == (1, col)
    assert rendered.splitlines()[0] == "gradcli: error at <expr> line 1, column %d: %s" % (col, message)
    assert rendered.splitlines()[2].index("^") == col + 1


# Text near gradcli's syntax, so most of it is nearly valid.
_pieces = st.sampled_from(list("xy12.+-*/^(),;=\n #e") + ["**", "sig", "max", "math.", "var ", "+=", "//", "1e5", "'", "@"])


@settings(max_examples=3 * EXAMPLES)
@given(st.lists(_pieces, max_size=14).map("".join))
def test_any_text_parses_or_gives_a_plain_error(text):
    try:
        parse(text)
    except GradcliError as e:
        rendered = e.render()
        assert not LARK_WORDS.search(rendered), rendered
        assert e.exit_code == 2
        if e.span is not None:
            assert "^" in rendered


def test_every_example_parses():
    for path in examples():
        assert parse(path.read_text(), name=path.name)


@settings(max_examples=3 * EXAMPLES)
@given(st.lists(_pieces, max_size=16).map("".join), st.sampled_from([{}, {"x": 1.0, "y": 2.0}, {"x": 0.0, "y": -1.0}]))
def test_any_text_evaluates_or_gives_a_plain_error(text, bindings):
    try:
        results = gradcli.evaluate(text, bindings)
    except GradcliError as e:
        assert not LARK_WORDS.search(e.render()), e.render()
        assert e.exit_code in (1, 2)
        return
    for r in results:
        assert math.isfinite(r.value)
        from gradcli.render import json_line, to_json, table
        json_line(to_json(r))
        table(r)
