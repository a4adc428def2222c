"""syntax.py, the table of the grammar's facts, against grammar/gradcli.lark
(the reference): the same operators, precedences, associativity, unary
operators, compound assignments, prefixes, declarations, names and numbers.
And the fast parser, which reads the table, against lark on all of it."""
from __future__ import annotations

import re
from itertools import product

import pytest

from gradcli import fastparse, flat, syntax
from gradcli.ast import Apply, Assign, Name, Num, Output
from gradcli.errors import ParseError
from gradcli.ops import OPS
from gradcli.parse import _lark, parse_lark

a, b, c = Name("a"), Name("b"), Name("c")


def tree(text: str):
    """lark's tree of text, checked to be the fast parser's too (which leaves
    conditionals, comparisons and logic to lark)."""
    stmts = parse_lark(text)
    fast = fastparse.parse(text)
    if fastparse._logic(text):
        assert fast is None, text
    else:
        assert fast is not None, text
        assert flat.to_ast(fast) == stmts, text
    return stmts


def spaced(symbol: str) -> str:
    return " %s " % symbol


def expr(text: str):
    [stmt] = tree(text)
    assert isinstance(stmt, Output)
    return stmt.expr


def test_the_grammars_operator_rules_are_the_tables():
    # The array rules (x[1:3], (5, 10), W[0]) are postfix syntax, not operators.
    rules = [r for r in _lark().rules if r.alias not in ("slice", "tuple", "index", "array", "method_call", "unpack")]
    binary = {r.alias for r in rules if len(r.expansion) == 3 and r.expansion[1].is_term and r.alias
              and not r.expansion[0].is_term}
    unary = {r.alias for r in rules if len(r.expansion) == 2 and r.expansion[0].is_term and r.alias}
    conditional = {r.alias for r in rules if len(r.expansion) == 5 and r.alias}
    assert binary == {op.op for op in syntax.BINARY}
    assert unary == {u.alias for u in syntax.UNARY}
    assert conditional == {c.alias for c in syntax.CONDITIONALS}
    for op in syntax.BINARY:
        assert op.op in OPS or op.array
    for u in syntax.UNARY:
        assert u.op is None or u.op in OPS
    assert syntax.NEGATE in {u.op for u in syntax.UNARY}
    assert set(syntax.COMPOUND.values()) <= set(OPS)


@pytest.mark.parametrize("op", syntax.BINARY, ids=lambda op: op.op)
def test_every_symbol_of_a_binary_operator(op):
    for symbol in op.symbols:
        assert expr("a %s b" % symbol) == Apply(op.op, (a, b))


@pytest.mark.parametrize("first,second", list(product(syntax.BINARY, repeat=2)),
                         ids=lambda op: op.op)
def test_precedence_and_associativity_of_every_pair(first, second):
    text = "a %s b %s c" % (first.symbols[0], second.symbols[0])
    if first.precedence == second.precedence and not first.chains:  # a < b < c
        with pytest.raises(ParseError):
            parse_lark(text)
        return
    left = first.precedence > second.precedence or (first.precedence == second.precedence and not first.right)
    want = (Apply(second.op, (Apply(first.op, (a, b)), c)) if left
            else Apply(first.op, (a, Apply(second.op, (b, c)))))
    assert expr(text) == want, text


@pytest.mark.parametrize("unary,binary", list(product(syntax.UNARY, syntax.BINARY)),
                         ids=lambda op: getattr(op, "alias", None) or op.op)
def test_a_unary_operator_against_every_binary_one(unary, binary):
    text = "%s a %s b" % (unary.symbol, binary.symbols[0])

    def sign(x):
        return x if unary.op is None else Apply(unary.op, (x,))
    want = (Apply(binary.op, (sign(a), b)) if unary.precedence > binary.precedence
            else sign(Apply(binary.op, (a, b))))
    assert expr(text) == want, text
    # A binary operator's right operand may carry a sign that binds tighter
    # (a * -b, a < -b, a and not b), and a power's exponent any sign (2^-1).
    right = "a %s %s b" % (binary.symbols[0], unary.symbol)
    tightest = max(u.precedence for u in syntax.UNARY)
    if unary.precedence > binary.precedence or (binary.right and unary.precedence == tightest):
        assert expr(right) == Apply(binary.op, (a, sign(b))), right
    elif unary.precedence < binary.precedence:  # a < not b, as in Python: an error
        with pytest.raises(ParseError):
            parse_lark(right)


@pytest.mark.parametrize("aug", sorted(syntax.COMPOUND))
def test_compound_assignments(aug):
    assert tree("q %s= a" % aug) == [Assign("q", a, aug)]
    assert set(syntax.ACCUMULATE) <= set(syntax.COMPOUND) | {""}


def test_conditionals_in_both_spellings():
    where = Apply(syntax.WHERE, (Apply("gt", (a, Num(0.0))), b, c))
    assert expr("a > 0 ? b : c") == where
    assert expr("b if a > 0 else c") == where
    # Loosest of all, and grouping to the right.
    assert expr("a ? b : c ? a : b") == Apply("where", (a, b, Apply("where", (c, a, b))))
    assert expr("a or b ? c : a") == Apply("where", (Apply("or", (a, b)), c, a))
    assert syntax.WHERE in OPS and OPS[syntax.WHERE].branches


def test_prefixes_and_declarations():
    for prefix in syntax.PREFIXES:
        assert expr("%s.exp(a)" % prefix) == Apply("exp", (a,))
    for keyword in syntax.DECLARATIONS:
        assert tree("%s q = a" % keyword) == [Assign("q", a)]


@pytest.mark.parametrize("terminal,pattern", [("NAME", syntax.NAME), ("NUMBER", syntax.NUMBER)])
def test_name_and_number_patterns_are_the_grammars(terminal, pattern):
    grammar = next(t for t in _lark().terminals if t.name == terminal).pattern.to_regexp()
    samples = ["x", "_a1", "A_", "1", "1.", ".5", "1.5e3", "2E-7", "1e+2", "1e", ".", "e3", "1.2.3",
               "9x", "x.y", "é", "", "__", "0", "00.00e00"]
    for s in samples:
        assert bool(re.fullmatch(grammar, s)) == bool(re.fullmatch(pattern, s)), (terminal, s)
    assert tree("q = 1.5e3 + a_1") == [Assign("q", Apply("add", (Num(1500.0), Name("a_1"))))]


def test_the_symbol_list_in_messages_names_every_operator():
    text = syntax.summary()
    for op in syntax.BINARY:
        for symbol in op.symbols:
            assert " %s " % symbol in text
