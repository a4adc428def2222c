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
from .errors import GradcliError, ParseError, Phrase, ProgramError, Source, StepByHand
from .ops import CONSTANTS, FUNCTIONS
from .syntax import ARRAY_PREFIXES, DECLARATIONS, PREFIXES


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
    prefix, _, name = str(tok).rpartition(".")
    if prefix in ARRAY_PREFIXES:
        return name
    prefix, _, name = str(tok).partition(".")
    if prefix not in PREFIXES:
        hint = "only math. and Math. may prefix a name, as in math.exp or Math.PI"
        if prefix.lower() == "math":  # MATH.exp
            known = name.lower() if name.lower() in FUNCTIONS else name
            hint = "did you mean %s.%s?" % ("Math" if prefix[0].isupper() else "math", known)
        raise ProgramError("unknown %s '%s'" % (what, tok), span=(tok.start_pos, tok.end_pos), hint=hint)
    return name


class UnknownFunction(ProgramError):
    """A call of a function gradcli does not have. It keeps the call's span
    and its number of arguments, so that the message can be told again from
    the call's text (x(y+1) is a product, forwardMultiplyGate(a, b) a gate)."""

    def __init__(self, tok, call: ast.Span, arity: int):
        name = str(tok).partition(".")[2] if tok.type == "QNAME" else str(tok)
        super().__init__("unknown function '%s'" % tok, span=(tok.start_pos, tok.end_pos),
                         hint=_suggest(name) or _functions())
        self.name, self.call, self.arity = name, call, arity


class _Build:
    """Parser callbacks, one per alias in the grammar (lark looks them up by
    name, so no lark base class is needed and this module loads without lark)."""

    def number(self, children):
        return _number(children[0])

    def name(self, children):
        tok = children[0]
        span = (tok.start_pos, tok.end_pos)
        if tok.type == "QNAME" and _attributes(tok) is not None:
            return _attributes(tok)
        if tok.type == "QNAME":
            name = _strip_prefix(tok, "constant")
            if name in CONSTANTS:
                return ast.Num(CONSTANTS[name], span)
            same = [c for c in CONSTANTS if c.lower() == name.lower() and c.isupper() == (tok[0] == "M")]
            raise ProgramError("unknown constant '%s'" % tok, span=span,
                               hint="did you mean %s.%s?" % (tok.partition(".")[0], same[0]) if same else
                               "the constants are pi (math.pi, Math.PI) and math.e (Math.E)")
        return ast.Name(str(tok), span)

    def call(self, children):
        tok, args, rpar = children
        args = tuple(args or ())
        span = (tok.start_pos, rpar.end_pos)
        if tok.type == "QNAME":
            head, _, method = str(tok).rpartition(".")
            if head not in ARRAY_PREFIXES and head.partition(".")[0] not in PREFIXES:
                obj = _attributes(tok, len(head))
                if obj is not None and method in _arrays().METHODS:
                    return _array_call(method, (obj,) + args, span, tok)
        name = _strip_prefix(tok, "function")
        name = _arrays_alias(name)
        if name in _ARRAY_FUNCTIONS or any(isinstance(a, Keyword) for a in args):
            # max(a, b), min(a, b), logsumexp(a, b): several arguments and no axis= are elementwise
            if not (name in _ELEMENTWISE_TOO and len(args) > 1 and not any(isinstance(a, Keyword) for a in args)):
                return _array_call(name, args, span, tok)
        op = FUNCTIONS.get(name)
        if op is None:
            raise UnknownFunction(tok, span, len(args))
        n = len(args)
        if n != op.arity and not (op.variadic and n >= op.arity):
            want = ("at least %d" % op.arity) if op.variadic else str(op.arity)
            raise ProgramError(
                "%s takes %s argument%s, not %d" % (name, want, "" if op.arity == 1 else "s", n),
                span=span, hint="for example %s" % _example(op))
        return ast.Apply(op.name, args, span)

    def args(self, children):
        return [c for c in children if c is not None]

    # Arrays.
    def array(self, children):
        lsqb, args, rsqb = children
        span = (lsqb.start_pos, rsqb.end_pos)
        if not args:
            raise ProgramError("an empty list has no value", span=span, hint="write its elements, as in [1, 2]")
        for a in args:
            if isinstance(a, Keyword):
                raise ProgramError("a list holds values, not %s=..." % a.name, span=a.span)
        return ast.Apply(_arrays().make("array").key, tuple(args), span)

    def tuple(self, children):
        lpar, first, rest, rpar = children
        return self.array([lpar, [first] + list(rest or ()), rpar])

    def keyword(self, children):
        name, op, value = children
        if str(op) != "=":
            raise ParseError("unexpected '%s' in the arguments" % op, span=(op.start_pos, op.end_pos),
                             hint="give a parameter as name=value, as in axis=0")
        return Keyword(str(name), value, (name.start_pos, _end(value)))

    def unpack(self, children):
        star, value = children  # randn(*D.shape) is randn(D.shape): a shape's dimensions, in a row
        return value

    def index(self, children):
        obj, _, subs, rsqb = children
        span = (_start(obj), rsqb.end_pos)
        idx = []
        for sub in subs:
            if isinstance(sub, Slice):
                idx.append((_whole(sub.start, "a slice's start"), _whole(sub.stop, "a slice's end")))
            else:
                idx.append(_whole(sub, "an index"))
        return ast.Apply(_arrays().make("index", idx=tuple(idx)).key, (obj,), span)

    def subscripts(self, children):
        return children

    def slice(self, children):
        start, colon, stop = children
        return Slice(start, stop)

    def attribute(self, children):
        obj, attr = children
        span = (_start(obj), attr.end_pos)
        if attr[1:] not in _arrays().ATTRIBUTES:
            raise ProgramError("unknown attribute '%s'" % attr, span=(attr.start_pos, attr.end_pos),
                               hint="arrays have .T (the transpose) and methods such as .dot(y) and .sum()")
        return ast.Apply(_arrays().make(attr[1:]).key, (obj,), span)

    def method(self, children):
        attr, _, args, rpar = children
        return attr, list(args or ()), rpar

    def method_call(self, children):
        obj, (attr, args, rpar) = children
        span = (_start(obj), rpar.end_pos)
        if attr[1:] not in _arrays().METHODS:
            raise ProgramError("unknown method '%s'" % attr, span=(attr.start_pos, attr.end_pos),
                               hint="arrays have the methods " + ", ".join(_arrays().METHODS))
        return _array_call(attr[1:], (obj,) + tuple(args), span, attr)

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


class Keyword:
    """`axis=0` among a call's arguments."""
    def __init__(self, name: str, value: Any, span: ast.Span):
        self.name, self.value, self.span = name, value, span


class Slice:
    def __init__(self, start: Any, stop: Any):
        self.start, self.stop = start, stop


def _arrays():
    from . import arrayops  # numpy: loaded only for a program with arrays
    return arrayops


# The array functions, by name, without loading numpy (arrayops.FUNCTIONS has them all).
_ARRAY_FUNCTIONS = ("sum", "mean", "amax", "amin", "dot", "matmul", "transpose", "reshape", "randn", "zeros",
                    "ones", "softmax", "logsumexp", "cross_entropy", "array")
_ALIASES = {"maximum": "max", "minimum": "min"}  # numpy's elementwise spellings
# Both a reduction of one array (with axis=) and the scalar op of several arguments.
_ELEMENTWISE_TOO = ("max", "min", "logsumexp")


def _arrays_alias(name: str) -> str:
    return _ALIASES.get(name, name)


def _attributes(tok, upto: int | None = None):
    """`W.T` (or `W.T.T`): the name and its transposes; None if the dotted
    name is not a name with attributes."""
    text = str(tok)[:upto]
    head, *attrs = text.split(".")
    if head in PREFIXES or head in ("np", "numpy") or any(a not in ("T", "shape") for a in attrs):
        return None
    node: Any = ast.Name(head, (tok.start_pos, tok.start_pos + len(head)))
    at = tok.start_pos + len(head)
    for a in attrs:
        at += len(a) + 1
        node = ast.Apply(_arrays().make(a).key, (node,), (tok.start_pos, at))
    return node


def _static(e: Any, what: str) -> Any:
    """A parameter's value written out: a number, True/False/None, or a tuple of them."""
    if isinstance(e, ast.Num):
        return int(e.value) if e.value == int(e.value) else e.value
    if isinstance(e, ast.Apply) and e.op == "neg" and isinstance(e.args[0], ast.Num):
        return -_static(e.args[0], what)
    if isinstance(e, ast.Name) and e.id in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[e.id]
    if isinstance(e, ast.Apply) and e.op == "array":
        return tuple(_static(a, what) for a in e.args)
    raise ProgramError("%s must be written out as a number" % what, span=e.span,
                       hint="gradcli fixes it when it reads the program, as in axis=0")


def _whole(e: Any, what: str) -> Any:
    if e is None:
        return None
    v = _static(e, what)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProgramError("%s must be a whole number written out, as in x[0] or x[1:3]" % what, span=e.span)
    return v


def _array_call(name: str, args: tuple, span: ast.Span, tok: Any) -> ast.Apply:
    """A call of an array function (or method): its array arguments, then its
    parameters, by position or by name."""
    arrayops = _arrays()
    op_name, params = arrayops.FUNCTIONS.get(name, (name, ()))
    if name in ("max", "min", "amax", "amin", "sum", "mean"):
        op_name = {"amax": "max", "amin": "min"}.get(name, name)
    template = arrayops._TEMPLATES.get(op_name)
    if template is None:
        raise UnknownFunction(tok, span, len(args))
    positional = [a for a in args if not isinstance(a, Keyword)]
    keywords = {a.name: a for a in args if isinstance(a, Keyword)}
    if op_name in _ELEMENTWISE_TOO and len(positional) > 1 and not keywords:
        return ast.Apply(op_name, tuple(positional), span)
    n = len(positional) if template.variadic else template.arity
    arrays, extra = positional[:n], positional[n:]
    if len(arrays) < template.arity:
        raise ProgramError("%s takes %d array argument%s, not %d" % (name, template.arity,
                           "" if template.arity == 1 else "s", len(arrays)), span=span,
                           hint="for example %s(x%s)" % (name, ", y" if template.arity == 2 else ""))
    if len(extra) > len(params):
        raise ProgramError("%s takes %d argument%s, not %d" % (name, template.arity + len(params),
                           "" if template.arity + len(params) == 1 else "s", len(positional)), span=span)
    values = {p: _static(e, p) for p, e in zip(params, extra)}
    for key, kw in keywords.items():
        if key not in params:
            raise ProgramError("%s has no parameter %s" % (name, key), span=kw.span,
                               hint="its parameters: %s" % (", ".join(params) or "none"))
        values[key] = _static(kw.value, key)
    if "keepdims" in values:
        values["keepdims"] = bool(values["keepdims"])
    if "axis" in values and isinstance(values["axis"], float):
        raise ProgramError("an axis is a whole number, as in axis=0", span=keywords.get("axis", kw).span
                           if "axis" in keywords else span)
    return ast.Apply(arrayops.make(op_name, **values).key, tuple(arrays), span)


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
    """"did you mean sig?" for a slip of case (SIG, Exp) or of a letter or two
    (sgi, sigmod), or "" when no function is close."""
    from difflib import get_close_matches
    lower = name.lower()
    if lower in FUNCTIONS:
        return "did you mean %s?" % lower
    close = get_close_matches(lower, list(FUNCTIONS), n=3, cutoff=0.6)
    close.sort(key=lambda c: sorted(c) != sorted(lower))  # a transposition (sgi) first
    return "did you mean %s?" % close[0] if close else ""


def _functions() -> str:
    return "the functions are " + ", ".join(sorted(FUNCTIONS))


_parser = None


_OPTIONS: dict[str, Any] = dict(parser="lalr", lexer="basic", maybe_placeholders=True)


def _lark():
    """Lark's LALR parser: loaded from the table made when gradcli was built
    (gradcli/_table.py, written by setup.py into the wheel) when it fits this
    grammar and this lark, else built from the grammar, in memory."""
    global _parser
    if _parser is None:
        from lark import Lark
        grammar = _grammar_text()
        table = _table_for(grammar)
        if table is not None:
            _parser = Lark._load_from_dict(table.DATA, table.MEMO, transformer=_Build())
        else:
            _parser = Lark(grammar, transformer=_Build(), **_OPTIONS)
        _describe_terminals(_parser)
    return _parser


def _table_for(grammar: str):
    """The built table, if there is one and it was made from this grammar by this lark."""
    from importlib import import_module

    import lark
    try:
        _table = import_module("gradcli._table")  # made at build time; absent in a checkout
    except ImportError:
        return None
    if (_table.LARK_VERSION, _table.GRAMMAR_SHA256) != (lark.__version__, _sha256(grammar)):
        return None
    return _table


def _sha256(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def table_source(grammar: str) -> str:
    """The text of gradcli/_table.py: lark's LALR table for this grammar, for
    the lark that runs this (setup.py calls it while building the wheel)."""
    import pprint

    import lark
    from lark import Lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    data, memo = Lark(grammar, **_OPTIONS).memo_serialize([TerminalDef, Rule])
    return ('"""lark %s\'s LALR table of grammar/gradcli.lark, made when gradcli was built."""\n'
            "GRAMMAR_SHA256 = %r\nLARK_VERSION = %r\nDATA = %s\nMEMO = %s\n"
            % (lark.__version__, _sha256(grammar), lark.__version__, pprint.pformat(data, width=100),
               pprint.pformat(memo, width=100)))


def parse_lark(text: str | Source, name: str = "<expr>") -> list[ast.Stmt]:
    """Parse with lark and the grammar alone: the reference, and every error."""
    from lark.exceptions import UnexpectedInput
    source = text if isinstance(text, Source) else Source(text, name)
    error: GradcliError
    try:
        return _lark().parse(source.text)
    except UnexpectedInput as e:
        error = _syntax_error(e, source)
    except (ProgramError, ParseError) as e:
        error = e
        error.source = source
    raise _pasted(error, source) or error from None


# What the grammar's terminals are called in messages: the fixed ones here,
# the operators and punctuation from the symbols they match ('^' for POW).
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "QNAME": "a name",
    "_SEP": "the end of the statement", "$END": "the end of the input",
    "LSQB": "'['", "RSQB": "']'", "ATTR": "an attribute",
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


def _in_call(text: str, pos: int) -> bool:
    """Whether the innermost bracket open at `pos` is a call's or a list's, where ',' goes on."""
    depth = 0
    start = max(text.rfind("\n", 0, pos), text.rfind(";", 0, pos)) + 1
    for k in range(pos - 1, start - 1, -1):
        c = text[k]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                before = text[start:k].rstrip()
                return c == "[" or bool(before) and (before[-1].isalnum() or before[-1] in "_")
            depth -= 1
    return False


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
        if ch in _LOOKALIKES or ch in _SUPERSCRIPTS:  # pasted from a page: x², a − b, 2 × 3
            import unicodedata
            called = unicodedata.name(ch, "?").lower()
            what = ("unexpected character %r (U+%04X %s)" % (ch, ord(ch), called) if ch.isprintable() else
                    "unexpected character U+%04X (%s)" % (ord(ch), called))  # a blank: no quotes around it
            hint = _ascii_hint(source.text, pos)
        elif ch in "\"'":
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
                first, second = names
                hint = "put an operator between them, as in %s*%s" % (first, second)
                return ParseError(what, hint=hint, span=(second.start_pos, second.end_pos),  # type: ignore[arg-type]
                                  source=source)
        elif "RPAR" in expected and tok.type in ("$END", "_SEP"):
            hint = "a '(' is not closed; add ')'"
        elif tok.type in _OPERAND and expected & _OPERATOR:
            hint = _implicit_product(source.text, tok.start_pos)
        elif str(tok) == "," and _depth(source.text, pos) <= 0 and _decimal_comma(source.text, pos):
            hint = "write the decimal point as '.': %s" % _decimal_comma(source.text, pos)
        elif tok.type == "RPAR" and "RPAR" not in expected and _depth(source.text, pos) <= 0:
            hint = "this ')' has no matching '('"
        elif tok.type == "ASSIGN" and source.text[:pos].rstrip().endswith("="):
            hint = "gradcli has no comparisons; use = only to assign, as in x = 3"
    else:
        what, expected = "unexpected input", set()
    # What arrays add (a tuple's ',', x[0], x.T, a keyword's '=') is not listed:
    # the messages read as they do for the numbers people mostly write.
    expected = set(expected) - {"LSQB", "ATTR"}
    if "NUMBER" in expected:
        expected -= {"STAR"}  # randn(*shape): not what an operand's place is for
    if not _in_call(source.text, pos):
        expected -= {"COMMA"}  # (x, ... would be a tuple: a shape, not what was meant
    elif expected & _OPERATOR:
        expected -= {"ASSIGN"}
    message = what + ("; expected %s" % _expected(expected) if expected else "")
    end = pos + 1
    if isinstance(e, UnexpectedToken) and e.token.type not in ("$END",):
        end = max(pos + 1, e.token.end_pos or pos + 1)
    return ParseError(message, hint=hint, span=(pos, end), source=source)


# --- Helpers for hints in the user's own text ---------------------------------

# Patterns of the error path, compiled (and cached by re) when first used,
# so that valid programs that take this road do not pay for them.
_NUMBER_END = r"(?:%s)\Z" % syntax.NUMBER
_NAME_END = r"%s(?:\.%s)?\Z" % (syntax.NAME, syntax.NAME)
_ATOM = r"%s|%s(?:\.%s)?" % (syntax.NUMBER, syntax.NAME, syntax.NAME)


def _statement(text: str, pos: int) -> tuple[int, int]:
    """The span of the statement around `pos`: from the separator before it
    to the next separator or comment, without the blanks at either end. A
    `pos` on a separator belongs to the statement it ends. Quotes are skipped
    over, so the ';' in a pasted string does not end a statement."""
    start = line = text.rfind("\n", 0, pos) + 1
    stop = text.find("\n", line)
    stop = len(text) if stop < 0 else stop
    i, quote = line, ""
    while i < stop:
        c = text[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'`":
            quote = c
        elif c == "#" or text.startswith("//", i):
            break
        elif c == ";":
            if i >= pos:
                break
            start = i + 1
        i += 1
    end = i
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _closing(text: str, i: int, end: int) -> int:
    """Just past the ')' that closes the '(' at i (or `end` if none does)."""
    depth = 0
    for k in range(i, end):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k + 1
    return end


def _opening(text: str, i: int, start: int) -> int | None:
    """Where the '(' is that the ')' at i closes, or None."""
    depth = 0
    for k in range(i, start - 1, -1):
        depth += {")": 1, "(": -1}.get(text[k], 0)
        if depth == 0:
            return k
    return None


def _operand_before(text: str, end: int, start: int) -> str:
    """The operand just before `end` in text[start:end]: a number, a name, a
    call or a group, as written; '' if there is none."""
    i = end
    while i > start and text[i - 1] in " \t":
        i -= 1
    if i > start and text[i - 1] == ")":
        j = _opening(text, i - 1, start)
        if j is None:
            return ""
        called = re.compile(_NAME_END).search(text, start, j)  # sig(x) as a whole
        return text[called.start() if called else j:i]
    ends = (re.compile(_NUMBER_END).search(text, start, i), re.compile(_NAME_END).search(text, start, i))
    found = [m.group() for m in ends if m]
    return max(found, key=len, default="")


def _operand_after(text: str, pos: int, end: int) -> str:
    """The operand that starts at `pos`: a number, a name, a call or a group."""
    if text.startswith("(", pos):
        return text[pos:_closing(text, pos, end)]
    m = re.compile(_ATOM).match(text, pos, end)
    if m is None:
        return ""
    k = m.end()
    while k < end and text[k] in " \t":
        k += 1
    if text.startswith("(", k) and not m.group()[0].isdigit():
        return text[pos:_closing(text, k, end)]
    return m.group()


def _implicit_product(text: str, pos: int) -> str:
    """The hint for two operands in a row (2x, x(y+1)): their product, as written."""
    start, end = _statement(text, pos)
    left, right = _operand_before(text, pos, start), _operand_after(text, pos, end)
    if left and right:
        return "write multiplication explicitly: %s*%s" % (left, right)
    return "write multiplication explicitly, as in 2*x"


def _decimal_comma(text: str, pos: int) -> str:
    """`1,5` at the ',' at pos: the number it means (1.5), or ''."""
    before = re.search(r"(?<![\w.])\d+\Z", text[max(0, pos - 40):pos])
    after = re.match(r"\d+(?![\w.])", text[pos + 1:pos + 41])
    return "%s.%s" % (before.group(), after.group()) if before and after else ""


# Characters that pages and word processors put in formulas, and what
# gradcli writes for each; superscripts are powers (x² is x^2).
_LOOKALIKES = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2217": "*", "\u2219": "*", "\u2022": "*",
    "\u00f7": "/", "\u2215": "/", "\u2044": "/",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2002": " ", "\u2003": " ", "\u3000": " ",
    "\u200b": "", "\ufeff": "",
}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))


def _ascii(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] in _SUPERSCRIPTS:
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPTS:
                j += 1
            out.append("^" + "".join(_SUPERSCRIPTS[c] for c in text[i:j]))
            i = j
            continue
        out.append(_LOOKALIKES.get(text[i], text[i]))
        i += 1
    return "".join(out)


def _ascii_hint(text: str, pos: int) -> str:
    """How to write the look-alike character at pos in ASCII, shown on its statement."""
    ch = text[pos]
    start, end = _statement(text, pos)
    if ch in _SUPERSCRIPTS:
        how = "write powers with ^"
        j = pos
        while j < end and text[j] in _SUPERSCRIPTS:
            j += 1
        local = _operand_before(text, pos, start) + _ascii(text[pos:j])
    elif _LOOKALIKES[ch] == " ":
        how, local = "write a plain space", "' '"
    elif not _LOOKALIKES[ch]:
        how, local = "delete it", ""
    else:
        how, local = "write the ASCII %r instead" % _LOOKALIKES[ch], ""
    fixed = " ".join(_ascii(text[start:end]).split(" ")) if start < end else ""
    if fixed and len(fixed) <= 60:
        return "%s: %s" % (how, fixed)
    return "%s: %s" % (how, local) if local else how


# --- Code pasted from the tutorials -------------------------------------------
#
# Learners paste the tutorials' own code: Karpathy's Unit and Gate objects
# in JavaScript and Python, imports and prints, the gradient set to 1 by
# hand, steps of gradient ascent taken by hand. When a text fails to parse,
# the statement around the error is read for such a line, and the error then
# says what the line is and what gradcli writes instead, in the line's own
# names. Only failing text is read here: valid programs pay nothing.

_N = syntax.NAME
_NUM = r"[-+]?%s" % syntax.NUMBER
_DECL = r"(?:(?:%s)\s+)?" % "|".join(DECLARATIONS)
_ATTR = r"\b(%s)\.(value|data|grad)\b" % _N  # Karpathy's a.value, micrograd's a.data
_VALUE = r"\b(%s)\.(?:value|data)\b" % _N
_EXPRESSIONS = "gradcli reads circuits written as expressions, not %s"

# What a gate's or a class's name says it computes: a word in the name, the
# op, how gradcli writes that gate, an example.
_KINDS = (
    ("mul", "*", "a multiply gate is the operator *", "ax = a * x"),
    ("add", "+", "an add gate is the operator +", "q = ax + by"),
    ("sig", "sig", "a sigmoid gate is the function sig", "s = sig(q)"),
    ("tanh", "tanh", "a tanh gate is the function tanh", "t = tanh(q)"),
    ("relu", "relu", "a ReLU gate is the function relu", "r = relu(q)"),
)
_ANY_GATE = "write each gate as its operator, as in ax = a * x"
_UNITS = ("unit", "value")  # Karpathy's Unit, micrograd's Value


def _kind(name: str) -> tuple[str, str, str, str] | None:
    lower = name.lower()
    return next((k for k in _KINDS if k[0] in lower), None)


def _about(name: str) -> str:
    """What gradcli writes for a class (or constructor, or function) named `name`, or ''."""
    if name.lower() in _UNITS:
        return "a unit is a name and its value, as in a = 1.0"
    kind = _kind(name)
    return "%s, as in %s" % (kind[2], kind[3]) if kind else ""


def _values(text: str) -> str:
    """`a.value * x.value` -> `a * x`."""
    return re.sub(_VALUE, r"\1", text)


def _split_args(text: str) -> list[str]:
    """The arguments of a call, as written (split at its top-level commas)."""
    args, depth, begin = [], 0, 0
    for k, c in enumerate(text):
        depth += {"(": 1, ")": -1, "[": 1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            args.append(text[begin:k].strip())
            begin = k + 1
    args.append(text[begin:].strip())
    return [] if args == [""] else args


def _operand(text: str) -> str:
    """An argument as the operand of * or +: in parentheses unless it is one atom."""
    grouped = text.startswith("(") and _closing(text, 0, len(text)) == len(text)
    if grouped or re.fullmatch(r"[-+]?(?:%s)" % _ATOM, text):
        return text
    return "(%s)" % text


def _gate(op: str, args: list[str]) -> str | None:
    """The gate `op` applied to `args`, as gradcli writes it; None if the count is wrong."""
    args = [_values(a) for a in args]
    if op in "*+":
        return "%s %s %s" % (_operand(args[0]), op, _operand(args[1])) if len(args) == 2 else None
    return "%s(%s)" % (op, args[0]) if len(args) == 1 else None


def _bound_number(text: str, before: int, name: str) -> tuple[str, str] | None:
    """The number the program last assigns `name` before `before`, and the
    statement that does (`step_size = 0.01`), if it does."""
    found = None
    pattern = re.compile(r"(?m)(?:^|;)[ \t]*(%s%s[ \t]*=[ \t]*(%s))[ \t]*(?=;|#|//|\r?$)"
                         % (_DECL, re.escape(name), _NUM))
    for m in pattern.finditer(text, 0, before):
        found = m.group(2), m.group(1)
    return found


def _pasted(error: GradcliError, source: Source) -> GradcliError | None:
    """The error for a line of tutorial code at `error`'s place, or None
    when the statement there is not one."""
    if error.span is None:
        return None
    text = source.text
    start, end = _statement(text, min(error.span[0], len(text)))
    s = text[start:end]
    if not s:
        return None

    def at(m: "re.Match[str] | None" = None, group: int = 0) -> tuple[int, int]:
        return (start + m.start(group), start + m.end(group)) if m else (start, end)

    def fail(message: str, hint: str, span: tuple[int, int] | None = None) -> ParseError:
        return ParseError(message, hint=hint, span=span or at(), source=source)

    # import math, from math import exp
    if re.fullmatch(r"import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*"
                    r"|from\s+[\w.]+\s+import\s+.+", s):
        return fail("%s is not needed: gradcli has math's functions built in" % " ".join(s.split()),
                    "leave the line out; exp(x), math.exp(x) and the other functions work without it")
    # console.log(...), print(...)
    m = re.match(r"(console\.(?:log|info|error)|print|alert)\s*\(|(print)\s+(?![-+*/^=<>!&|?:,)])", s)
    if m:
        return fail("%s is not needed: gradcli prints the values and gradients itself" % (m.group(1) or m.group(2)),
                    "leave the line out")
    # class multiplyGate {, class MultGate(object):, def forward(self, u0, u1):,
    # var Unit = function(value, grad) {, multiplyGate.prototype = {
    m = re.match(r"class\s+(%s)|(%s)\.prototype\b" % (_N, _N), s)
    if m:
        about = _about(m.group(1) or m.group(2))
        return fail(_EXPRESSIONS % "classes", "leave the class out: " + about if about else
                    "leave the class out and write what it computes, as in q = a*x + b*y + c; s = sig(q)", at(m))
    m = (re.match(r"(?:def|function)\s+(%s)\s*\(" % _N, s)
         or re.match(r"%s(%s(?:\.%s)?)\s*[=:]\s*function\s*\(" % (_DECL, _N, _N), s))
    if m:
        name = m.group(1).rpartition(".")[2]
        returned = re.search(r"\breturn\s+([^;{}]+?)\s*\}?\s*\Z", s)
        about = _about(name)
        if returned and "." not in returned.group(1):
            hint = "write what it returns, with its inputs as names: %s" % returned.group(1)
        elif about:
            hint = "leave the function out: " + about
        elif name in ("forward", "backward", "__init__", "constructor") or re.match(r"\s*self\b", s[m.end():]):
            hint = "leave the class out: " + _ANY_GATE
        else:
            hint = "write the function's lines in the program in place of its calls, as in q = a*x + b*y + c"
        return fail(_EXPRESSIONS % "functions", hint, at(m))
    # this.u0 = u0; self.utop = ...: the inside of a class
    m = re.search(r"\b(?:this|self)\.%s" % _N, s)
    if m:
        return fail(_EXPRESSIONS % "objects", "leave the class out: " + _ANY_GATE, at(m))
    # a.value += step_size * a.grad, a.value = a.value + step_size * a.grad
    m = re.fullmatch(r"(%s)\.(value|data)\s*(?:([+-])=\s*|=\s*\1\.\2\s*([+-])\s*)(.+)" % _N, s)
    if m and ".grad" in m.group(5):
        return _step(m, s, text, start, (start, end), source)
    # s.grad = 1.0; a.grad += x.value * s.grad
    m = re.fullmatch(r"(%s)\.grad\s*=\s*(%s)" % (_N, _NUM), s)
    if m:
        value = float(m.group(2))
        if value == 1:
            return fail("%s is not needed: gradcli starts the backward pass from the output by itself "
                        "(its gradient is 1)" % s, "leave the line out")
        if value == 0:
            return fail("%s is not needed: gradcli computes every gradient afresh, from 0" % s,
                        "leave the line out")
        return fail("gradcli starts the backward pass from the output with gradient 1, not %s" % m.group(2),
                    "leave the line out; for gradients %s times as large, multiply the output by %s"
                    % (m.group(2), m.group(2)))
    m = re.match(r"(%s)\.grad\s*[-+*/]?=" % _N, s)
    if m:
        by_hand = re.sub(r"\b(%s)\.grad\b" % _N, r"d\1", _values(s))
        return ParseError("gradcli does the backward pass itself: it computes %s.grad and prints it" % m.group(1),
                          hint=Phrase("leave the line out; to check a backward pass written by hand, "
                                      "write it with d-names, as in %s, and run {verify}", by_hand),
                          span=at(), source=source)
    # var a = new Unit(1.0, 0.0);  a = Unit(1.0, 0.0);  var mulg0 = new multiplyGate();  sg0 = SigmoidGate()
    m = re.fullmatch(r"%s(%s)\s*=\s*(new\s+)?(%s)\s*\((.*)\)" % (_DECL, _N, _N), s)
    if m and m.group(3).lower() not in FUNCTIONS and (m.group(2) or m.group(3)[0].isupper()):
        name, made, args = m.group(1), m.group(3), _split_args(m.group(4))
        where = (start + m.start(2 if m.group(2) else 3), end)
        if made.lower() in _UNITS or (m.group(2) and args and not _kind(made) and "gate" not in made.lower()):
            if args:
                return fail(_EXPRESSIONS % ("%s objects" % made),
                            "a wire is a name and its value; write: %s = %s" % (name, _values(args[0])), where)
        elif _kind(made) or "gate" in made.lower() or not args:
            about = _about(made)
            return fail(_EXPRESSIONS % "gate objects",
                        "leave the line out: " + (about if about else _ANY_GATE), where)
    # ax = mulg0.forward(a, x);  sg0.backward();
    m = re.fullmatch(r"%s(?:(%s)\s*=\s*)?(?:return\s+)?(%s)\.(forward|backward)\s*\((.*)\)" % (_DECL, _N, _N), s)
    if m:
        if m.group(3) == "backward":
            return fail("%s.backward() is not needed: gradcli does the backward pass itself" % m.group(2),
                        "leave the line out")
        return fail(_EXPRESSIONS % "gate objects", _gate_hint(m.group(1), m.group(2), _split_args(m.group(4))),
                    (start + m.start(2), end))
    # forwardMultiplyGate(a, b), x(y+1), forwardNeuron()
    if isinstance(error, UnknownFunction):
        return _unknown_function(error, text)
    # return ax: a function's
    m = re.fullmatch(r"return(?:\s+(.+))?", s)
    if m:
        return fail(_EXPRESSIONS % "functions",
                    "a program's output is its last line: write it alone%s" % (
                        ", as in %s" % _values(m.group(1)) if m.group(1) else ""))
    # a.value, a.grad
    m = re.search(_ATTR, s)
    if m and m.group(1) not in PREFIXES:
        grad = re.search(r"\b(%s)\.grad\b" % _N, s)
        if grad:
            return fail("%s; it computes the gradient %s itself and prints it" % (_EXPRESSIONS % "objects",
                                                                                  grad.group()),
                        "leave the line out", at(grad))
        attr = re.search(_VALUE, s)
        assert attr is not None
        return fail("%s: %s is %s" % (_EXPRESSIONS % "objects", attr.group(), attr.group(1)),
                    "write: %s" % _values(s), at(attr))
    return None


def _step(m: "re.Match[str]", s: str, text: str, before: int, span: ast.Span, source: Source) -> StepByHand:
    """A step of gradient ascent taken by hand, with the step size the line gives."""
    descend = (m.group(3) or m.group(4)) == "-"
    k = re.fullmatch(r"([-+]?(?:%s|%s))\s*\*\s*%s\.grad|%s\.grad\s*\*\s*([-+]?(?:%s|%s))"
                     % (syntax.NUMBER, _N, _N, _N, syntax.NUMBER, _N), m.group(5))
    size = name = assigned = None
    if k:
        factor = k.group(1) or k.group(2)
        if factor[0] in "+-":
            descend, factor = descend != (factor[0] == "-"), factor[1:]
        if re.fullmatch(syntax.NUMBER, factor):
            size = factor
        else:
            name, bound = factor, _bound_number(text, before, factor)
            if bound is not None:
                size, assigned = bound
                if size[0] in "+-":
                    descend, size = descend != (size[0] == "-"), size[1:]
    others = len(re.findall(_STEPS, text)) - 1  # the tutorials step every input, a line each
    return StepByHand("%s is a step of gradient %s, which gradcli takes itself"
                      % (s, "descent" if descend else "ascent"), size=size, name=name, assigned=assigned,
                      others=max(others, 0), descend=descend, span=span, source=source)


_STEPS = (r"(?m)(?:^|;)[ \t]*(%s)\.(?:value|data)[ \t]*(?:[-+]=|=[ \t]*\1\.(?:value|data)[ \t]*[-+])"
          r"[^\n;#]*\.grad\b" % _N)


def _gate_hint(out: str | None, gate: str, args: list[str]) -> str:
    """How to write `out = gate.forward(args)`, when the gate's name tells
    its kind (mulg0, addg1); if not, what each kind would be. (The line that
    made the gate, `var sg0 = new sigmoidGate()`, is an error of its own and
    comes first, so it is not there to ask.)"""
    kind = _kind(gate)
    lead = "%s = " % out if out else ""
    written = _gate(kind[1], args) if kind else None
    if written:
        return "write the gate as its operator: %s%s" % (lead, written)
    if len(args) == 2:
        a, b = (_operand(_values(x)) for x in args)
        return "write the gate as its operator: %s%s * %s if it multiplies, %s%s + %s if it adds" % (
            lead, a, b, lead, a, b)
    if len(args) == 1:
        return "write the gate as its function: %ssig(%s) if it is a sigmoid" % (lead, _values(args[0]))
    return _ANY_GATE


def _unknown_function(e: UnknownFunction, text: str) -> GradcliError:
    """A better hint for an unknown function, read from the call's text: a
    gate function (forwardMultiplyGate(a, b) is a * b), a product (x(y+1)),
    a function of the tutorial's own (forwardNeuron())."""
    if e.hint.startswith("did you mean"):
        return e
    start, end = e.call
    name_end = e.span[1] if e.span else start
    lpar = text.index("(", name_end)
    kind = _kind(e.name)
    written = _gate(kind[1], _split_args(text[lpar + 1:end - 1])) if kind else None
    if written:
        return ParseError(_EXPRESSIONS % "gate functions", hint="write the gate as its operator: %s" % written,
                          span=e.span, source=e.source)
    called = text[start:name_end]
    if not e.arity:
        e.hint = "write the function's lines in the program in place of the call"
    elif len(e.name) <= 2 or re.search(r"(?<![\w.])%s\b(?!\s*\()" % re.escape(called), text):
        e.hint = "to multiply, write %s*%s" % (called, text[lpar:end])
    return e
