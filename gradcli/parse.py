"""Text -> syntax tree, by lark and the grammar: the reference, and every error.

The grammar (grammar/gradcli.lark, shipped inside the package) is the
reference for the language. Lark builds its LALR parser from it the first
time it is needed; valid programs take the fast road (fastparse.py) and
never load lark, so that happens only when there is an error to explain.
The callbacks below are handed to the parser itself, so the tree is built
while parsing: no parse tree, no recursion, any depth of nesting. Lark's
errors become ours, in plain words.

The front door (frontend.py) decides which road a text takes.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

from . import ast, syntax
from .errors import ParseError, ProgramError, Source
from .ops import CONSTANTS, FUNCTIONS
from .syntax import DECLARATIONS, PREFIXES


def _grammar_text() -> str:
    from importlib.resources import files
    try:
        return files("gradcli.grammar").joinpath("gradcli.lark").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # running from a source checkout
        from pathlib import Path
        return (Path(__file__).resolve().parent.parent / "grammar" / "gradcli.lark").read_text("utf-8")


def _span(a: Any, b: Any) -> ast.Span:
    return (_start(a), _end(b))


_RECORDS = (ast.Num, ast.Name, ast.Apply)


def _start(x: Any) -> int:
    """Where a syntax record or a lark Token starts."""
    return x.span[0] if isinstance(x, _RECORDS) else x.start_pos


def _end(x: Any) -> int:
    return x.span[1] if isinstance(x, _RECORDS) else x.end_pos


def _number(tok) -> ast.Num:
    value = float(tok)
    if math.isinf(value):
        raise ProgramError("the number %s is too large for double precision" % tok,
                           hint="numbers must be below about 1.8e308", span=(tok.start_pos, tok.end_pos))
    return ast.Num(value, (tok.start_pos, tok.end_pos))


def _strip_prefix(tok, what: str) -> str:
    """`math.exp` -> `exp`; any other dotted name is an error."""
    if tok.type != "QNAME":
        return str(tok)
    prefix, _, name = str(tok).partition(".")
    if prefix not in PREFIXES:
        raise ProgramError("unknown %s '%s'" % (what, tok), span=(tok.start_pos, tok.end_pos),
                           hint="only math. and Math. may prefix a name, as in math.exp or Math.PI")
    return name


class _Build:
    """Parser callbacks, one per alias in the grammar (lark looks them up by
    name, so no lark base class is needed and this module loads without lark)."""

    def number(self, children):
        return _number(children[0])

    def name(self, children):
        tok = children[0]
        span = (tok.start_pos, tok.end_pos)
        if tok.type == "QNAME":
            name = _strip_prefix(tok, "constant")
            if name in CONSTANTS:
                return ast.Num(CONSTANTS[name], span)
            raise ProgramError("unknown constant '%s'" % tok, span=span,
                               hint="the constants are pi (math.pi, Math.PI) and math.e (Math.E)")
        return ast.Name(str(tok), span)

    def call(self, children):
        tok, args, rpar = children
        args = tuple(args or ())
        name = _strip_prefix(tok, "function")
        span = (tok.start_pos, rpar.end_pos)
        op = FUNCTIONS.get(name)
        if op is None:
            raise ProgramError("unknown function '%s'" % tok, span=(tok.start_pos, tok.end_pos),
                               hint=_suggest(name))
        n = len(args)
        if n != op.arity and not (op.variadic and n >= op.arity):
            want = ("at least %d" % op.arity) if op.variadic else str(op.arity)
            raise ProgramError(
                "%s takes %s argument%s, not %d" % (name, want, "" if op.arity == 1 else "s", n),
                span=span, hint="for example %s" % _example(op))
        return ast.Apply(op.name, args, span)

    def args(self, children):
        return children

    def group(self, children):
        # The parentheses belong to the span, so labels read `(-8)^(1/3)`.
        lpar, e, rpar = children
        return replace(e, span=(lpar.start_pos, rpar.end_pos))

    def output(self, children):
        return ast.Output(children[0], children[0].span)

    def assign(self, children):
        name, op, value = children
        return ast.Assign(str(name), value, str(op)[:-1], (name.start_pos, name.end_pos))

    def declare(self, children):
        keyword, name, op, value = children
        if keyword not in DECLARATIONS:
            raise ParseError("unexpected name '%s' after '%s'" % (name, keyword),
                             span=(name.start_pos, name.end_pos),
                             hint="put an operator between the two names, as in %s * %s" % (keyword, name))
        return ast.Assign(str(name), value, str(op)[:-1], (name.start_pos, name.end_pos))

    def start(self, children):
        return [c for c in children if not isinstance(c, str)]


def _binary(op: str):
    def method(self, children):
        a, _, b = children
        return ast.Apply(op, (a, b), _span(a, b))
    return method


def _unary(op: str | None):
    def method(self, children):
        sign, x = children
        return x if op is None else ast.Apply(op, (x,), _span(sign, x))
    return method


def _conditional(order: tuple[int, int, int]):
    def method(self, children):
        values = children[0::2]  # between them: the two words, ? and : or if and else
        cond, yes, no = (values[k] for k in order)
        return ast.Apply(syntax.WHERE, (cond, yes, no), _span(values[0], values[2]))
    return method


# One callback per operator alias of the grammar, from the syntax table.
for _b in syntax.BINARY:
    setattr(_Build, _b.op, _binary(_b.op))
for _u in syntax.UNARY:
    setattr(_Build, _u.alias, _unary(_u.op))
for _c in syntax.CONDITIONALS:
    setattr(_Build, _c.alias, _conditional(_c.order))


def _example(op) -> str:
    if op.variadic:
        return "%s(a, b, c)" % op.name
    return "%s(%s)" % (op.name, ", ".join("xy"[: op.arity] if op.arity <= 2 else "abc"))


def _suggest(name: str) -> str:
    from difflib import get_close_matches
    close = get_close_matches(name, list(FUNCTIONS), n=3, cutoff=0.6)
    close.sort(key=lambda c: sorted(c) != sorted(name))  # a transposition (sgi) first
    if close:
        return "did you mean %s?" % close[0]
    return "the functions are " + ", ".join(sorted(FUNCTIONS))


_parser = None


def _lark():
    """Lark's LALR parser, built from the grammar on first use."""
    global _parser
    if _parser is None:
        from lark import Lark
        _parser = Lark(_grammar_text(), parser="lalr", lexer="basic", transformer=_Build(),
                       maybe_placeholders=True)
        _describe_terminals(_parser)
    return _parser


def parse_lark(text: str | Source, name: str = "<expr>") -> list[ast.Stmt]:
    """Parse with lark and the grammar alone: the reference, and every error."""
    from lark.exceptions import UnexpectedInput
    source = text if isinstance(text, Source) else Source(text, name)
    try:
        return _lark().parse(source.text)
    except UnexpectedInput as e:
        raise _syntax_error(e, source) from None
    except (ProgramError, ParseError) as e:
        e.source = source
        raise


# What the grammar's terminals are called in messages: the fixed ones here,
# the operators and punctuation from the symbols they match ('^' for POW).
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "QNAME": "a name",
    "_SEP": "the end of the statement", "$END": "the end of the input",
}
_OPERAND = {"NUMBER", "NAME", "QNAME"}
_OPERATOR: set[str] = set()  # terminals of binary operators
_INFIX: set[str] = set()     # ... that cannot also start an operand (not '-' or '+')
_SIGNS: set[str] = set()     # terminals of unary operators
_CHAIN: set[str] = set()     # terminals of comparisons, which do not chain


def _describe_terminals(parser) -> None:
    unary = {u.symbol for u in syntax.UNARY}
    binary = {s for b in syntax.BINARY for s in b.symbols}
    for t in parser.terminals:
        if t.name in _WORDS:
            continue
        pattern = re.compile(t.pattern.to_regexp())
        matched = [s for s in syntax.symbols() + syntax.keywords() if pattern.fullmatch(s)]
        if not matched:
            continue  # comments and blanks
        _WORDS[t.name] = "'%s'" % min(matched, key=len)
        if "(" in matched:
            _OPERAND.add(t.name)
        if unary & set(matched):
            _SIGNS.add(t.name)
        if {s for b in syntax.BINARY if not b.chains for s in b.symbols} & set(matched):
            _CHAIN.add(t.name)
        starts = {c.words[0] for c in syntax.CONDITIONALS}  # '?' and 'if' go on an expression too
        if (binary | starts) & set(matched):
            _OPERATOR.add(t.name)
            if not unary & set(matched):
                _INFIX.add(t.name)


def _expected(names: set[str]) -> str:
    names = set(names)
    words = []
    if names & _INFIX:
        # After an operand a name or '(' could only start `var x = ...` or a
        # call; listing "a number" there would mislead.
        names -= _OPERAND
    if names & _OPERAND:
        words += ["a number", "a name", "'('"]
        names -= _OPERAND | _SIGNS
    if len(names & _OPERATOR) > 1:
        words.append("an operator")
        names -= _OPERATOR
    if "_SEP" in names or "$END" in names:
        names -= {"_SEP", "$END"}
        names.add("_SEP")
    words += sorted(_WORDS.get(n, n) for n in names)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _depth(text: str, pos: int) -> int:
    """How many '(' are open at `pos` in its statement."""
    start = max(text.rfind("\n", 0, pos), text.rfind(";", 0, pos)) + 1
    return text.count("(", start, pos) - text.count(")", start, pos)


def _syntax_error(e, source: Source) -> ParseError:
    from lark import Token
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    pos = e.pos_in_stream if e.pos_in_stream is not None else len(source.text)
    hint = ""
    if isinstance(e, UnexpectedCharacters):
        ch = source.text[pos]
        what = "unexpected character %s" % (repr(ch) if ch.isprintable() else "U+%04X" % ord(ch))
        expected = set()  # every terminal: listing them would not help
        if ch in "\"'":
            hint = "gradcli has no strings; write numbers and names"
        elif ch == "=" or ch in "<>!":
            hint = "gradcli has no comparisons; use = only to assign, as in x = 3"
        elif ch.isalpha() or ch.isdigit():
            hint = "names use the ASCII letters, digits and _ only"
        else:
            hint = "gradcli's programs use " + syntax.summary()
    elif isinstance(e, UnexpectedToken):
        tok = e.token
        expected = e.expected
        try:  # LALR's expected set includes symbols of merged states; ask what really fits
            expected = e.interactive_parser.accepts()
            stack = e.interactive_parser.parser_state.value_stack
        except Exception:
            stack = []
        if stack and isinstance(stack[-1], _RECORDS) and not expected & _OPERATOR:
            # An expression just ended, and the parser has already reduced it
            # as far as this token let it: an operator could still go on.
            expected = set(expected) | _OPERATOR
        if tok.type == "$END":
            pos = len(source.text.rstrip())
            what = "the input ends too early"
        elif tok.type == "_SEP":
            what = "the statement ends too early"
        else:
            what = "unexpected %s '%s'" % (_WORDS.get(tok.type, "token").split(" ")[-1]
                                            if tok.type in ("NUMBER", "NAME", "QNAME") else "symbol", tok)
        names = [t for t in stack[-2:] if isinstance(t, Token) and t.type == "NAME"]
        chained = len(stack) >= 2 and isinstance(stack[-2], Token) and stack[-2].type in _CHAIN
        if tok.type in _CHAIN and chained:  # a < b < c
            sym = source.text[tok.start_pos:tok.end_pos]
            hint = "comparisons do not chain; write both, as in a < b and b %s c" % sym
        elif expected <= {"ASSIGN"} and len(names) == 2 and names[0] in DECLARATIONS:
            hint = "%s declares a name and gives its value, as in %s %s = 1" % (names[0], names[0], names[1])
        elif expected <= {"ASSIGN"}:  # `a b`: read as the start of `var x = ...`
            what, expected = "two names in a row", set()
            hint = "put an operator between them, as in a*b"
            if len(names) == 2:  # point at the second name, not past it
                second = names[1]
                return ParseError(what, hint=hint, span=(second.start_pos, second.end_pos),  # type: ignore[arg-type]
                                  source=source)
        elif "RPAR" in expected and tok.type in ("$END", "_SEP"):
            hint = "a '(' is not closed; add ')'"
        elif tok.type in _OPERAND and expected & _OPERATOR:
            hint = "write multiplication explicitly, as in 2*x"
        elif tok.type == "RPAR" and "RPAR" not in expected and _depth(source.text, pos) <= 0:
            hint = "this ')' has no matching '('"
        elif tok.type == "ASSIGN" and source.text[:pos].rstrip().endswith("="):
            hint = "gradcli has no comparisons; use = only to assign, as in x = 3"
    else:
        what, expected = "unexpected input", set()
    message = what + ("; expected %s" % _expected(expected) if expected else "")
    end = pos + 1
    if isinstance(e, UnexpectedToken) and e.token.type not in ("$END",):
        end = max(pos + 1, e.token.end_pos or pos + 1)
    return ParseError(message, hint=hint, span=(pos, end), source=source)
