"""The fast road from text to a flat program, for valid input only.

Why this exists (measured on the benchmark shapes, CPU time, Python 3.11):
lark's LALR parser, even with the transformer handed to it and no parse
tree, took 3.7 s for the 100,000-operation wide program (1.8 MB) and 1.7 s
for the 50,000-deep chain, several times the whole 1-second budget. Its
profile splits about evenly between the lexer (45%) and the parser's
per-token loop with its callbacks (52%), so a faster tokenizer handed to
lark could at best halve that (lark-cython was measured at 0.7x). This
module, an iterative operator-precedence (shunting-yard) parser over one
regular expression that writes postfix code straight into flat arrays
(flat.Program), with no tree and no recursion, reads the same programs in
0.31 s and 0.17 s: 10 to 12 times faster. So lark-cython is not worth an
optional extra: lark now runs only for text with an error, and is not even
imported for valid text, which takes its import off every start-up.

It is not a second definition of the language. grammar/gradcli.lark stays
the reference: this parser gives up (returns None) at the first thing that
is not plainly valid, and the front door (frontend.py) then has lark parse
the text again, which produces the error message. tests/test_fastparse.py checks that both
roads give identical syntax trees (spans included) on the examples and on
random programs.

Its tokens, operators, precedences and associativity come from syntax.py,
the table of the grammar's facts, tried in the order lark's basic lexer
tries them (comments before '/', QNAME before NAME, '**' before '*').
"""
from __future__ import annotations

import re

from . import syntax
from .flat import NAME, NUM, Program
from .ops import CONSTANTS, FUNCTIONS
from .syntax import DECLARATIONS, NEGATE, PREFIXES

_WS = syntax.BLANK
_NAME = syntax.NAME
_NUMBER = syntax.NUMBER
# A token with the blanks before it (fewer turns of the loop). Groups: 1 a
# comment or the end of the text (both skipped), 2 QNAME, 3 NAME, 4 NUMBER,
# 5 symbol, 6 anything else. The end is a token so that blanks at the end
# match once: finditer would otherwise try again at every one of them, each
# try running to the end, and 200,000 trailing blanks would take minutes.
_TOKENS = re.compile(r"%s*(?:((?:%s)[^\n]*|\Z)|(%s\.%s)|(%s)|(%s)|(%s)|([^ \t\f\r]))"
                     % (_WS, "|".join(re.escape(c) for c in syntax.COMMENTS), _NAME, _NAME, _NAME,
                        _NUMBER, syntax.symbol_pattern(logic=False))).finditer
# `name = 3` or `name = -0.5`, a whole statement: the bulk of generated programs.
_BIND = re.compile(r"%s*(%s)%s*=%s*(?:(-)%s*)?(%s)%s*(?:[\n;]|\Z)"
                   % (_WS, _NAME, _WS, _WS, _WS, _NUMBER, _WS)).match
# `name =`, `name +=`, ..., `var name =` at the start of a statement.
_HEAD = re.compile(r"%s*(?:(%s)%s+)?(%s)%s*(%s)" % (_WS, _NAME, _WS, _NAME, _WS, syntax.ASSIGN)).match

# Operator stack codes, from the syntax tables: LPAR and CALL are barriers
# (precedence 0), then the unary operators, then the binary ones.
LPAR, CALL = 0, 1
# (the arithmetic operators: texts with the others go to lark, see _logic)
_UNARY_OPS = [u for u in syntax.UNARY if not u.logic]
_BINARY_OPS = [b for b in syntax.BINARY if not b.logic]
_UNARY0 = 2
_BINARY0 = _UNARY0 + len(_UNARY_OPS)
_PREC = (0, 0) + tuple(u.precedence for u in _UNARY_OPS) + tuple(b.precedence for b in _BINARY_OPS)
_RIGHT = (False,) * _BINARY0 + tuple(b.right for b in _BINARY_OPS)
_OPNAME = (None, None) + tuple(u.op for u in _UNARY_OPS) + tuple(b.op for b in _BINARY_OPS)
_UNARY = {u.symbol: _UNARY0 + k for k, u in enumerate(_UNARY_OPS)}
_BINARY = {s: _BINARY0 + k for k, b in enumerate(_BINARY_OPS) for s in b.symbols}
_INF = float("inf")


# Conditionals, comparisons and logic are read by lark: they belong to the
# short programs people write by hand, not to the generated giants this road
# is for. Substring tests first: they cost almost nothing on big text.
_LOGIC = [s for b in syntax.BINARY if b.logic for s in b.symbols] + \
    [u.symbol for u in syntax.UNARY if u.logic] + [w for c in syntax.CONDITIONALS for w in c.words]
_LOGIC_SYMBOLS = sorted({s for s in _LOGIC if not s.isalpha()}, key=len)
_LOGIC_WORDS = sorted({s for s in _LOGIC if s.isalpha()})
# ... outside comments: a line's code is what comes before its first # or //.
_CODE = r"(?m)^(?:[^#/\n]|/(?!/))*?"
_SEARCHES: list = []  # compiled on first need: most start-ups never need them


def _logic(text: str) -> bool:
    """Whether text may hold a conditional, a comparison or a logical operator."""
    symbol = any(s in text for s in _LOGIC_SYMBOLS)
    word = any(w in text for w in _LOGIC_WORDS)
    if not (symbol or word):
        return False
    if not _SEARCHES:
        _SEARCHES.append(re.compile(_CODE + "(?:%s)" % "|".join(re.escape(s) for s in _LOGIC_SYMBOLS)).search)
        _SEARCHES.append(re.compile(_CODE + r"(?<![\w.])(?:%s)(?![\w.])" % "|".join(_LOGIC_WORDS)).search)
    return (symbol and _SEARCHES[0](text) is not None) or (word and _SEARCHES[1](text) is not None)


def parse(text: str) -> Program | None:
    """The flat program of `text`, or None if it is not plainly valid."""
    for program, done in chunks(text):
        if done:
            return program
    return None


def chunks(text: str, size: int | None = None, code_size: int | None = None):
    """Parse `text`, yielding (program, False) after every `size` statements
    (then starting afresh in the same arrays, so the caller must use each
    piece before asking for the next) and (program, True) at the end. Stops
    without the final piece if the text is not plainly valid.

    With `code_size`, a long statement is cut too, once it has that much
    code, just after a binary operator: the piece then ends with the start
    of a statement (code past the last code_end), which the next pieces
    complete. Nothing already handed over is changed later: what a closing
    parenthesis, a call or a constant rewrites is always code read after
    the operator. `x += ...` statements are never cut (their name comes
    first in the graph)."""
    if _logic(text):
        return
    p = Program(len(text))
    tags, args, starts, ends = p.tag, p.arg, p.start, p.end
    tag, arg, start, end = tags.append, args.append, starts.append, ends.append
    names, augs, nstarts, nends, code_end = p.name.append, p.aug.append, p.nstart.append, p.nend.append, p.code_end.append
    ops: list[int] = []     # operator stack
    ostart: list[int] = []  # where each operator (or call's name) starts
    vstart: list[int] = []  # where each value on the value stack starts
    calls: list = []        # [op, arguments so far] of each open call
    pos = 0
    binary, unary, prec, right, opname, b0 = _BINARY, _UNARY, _PREC, _RIGHT, _OPNAME, _BINARY0
    bind, head, tokens = _BIND, _HEAD, _TOKENS

    while True:
        # A statement starts here.
        m = bind(text, pos)
        # The run of these statements so far that bind a number as the command
        # line writes one (no blank after the minus: see flat.written_as_number),
        # from statement `run` on, and their numbers, signed: noted in p.binds
        # for the builder to add in bulk.
        run, signed = len(p.name), []
        while m is not None:
            (_, pos), (ns, ne), (ms, _), (vs, ve) = m.regs
            value = float(text[vs:ve])
            if value == _INF:
                return
            names(text[ns:ne])
            augs("")
            nstarts(ns)
            nends(ne)
            tag(NUM)
            arg(value)
            start(vs)
            end(ve)
            if ms < 0:
                signed.append(value)
            else:  # `name = -number`
                tag(1)
                arg(NEGATE)
                start(ms)
                end(ve)
                if vs == ms + 1:
                    signed.append(-value)
                else:  # `- 3` is an expression: the run ends before it
                    if signed:
                        p.binds.append((run, len(signed), signed))
                    run, signed = len(p.name), []
            code_end(len(tags))
            if size and len(p.name) >= size:
                if signed:
                    p.binds.append((run, len(signed), signed))
                yield p, False
                p.clear()
                run, signed = 0, []
            m = bind(text, pos)
        if signed:
            p.binds.append((run, len(signed), signed))
        m = head(text, pos)
        if m is not None:
            keyword = m.group(1)
            if keyword is not None and keyword not in DECLARATIONS:
                return
            stmt_name, aug = m.group(2), m.group(3)[:-1]
            name_span = (m.start(2), m.end(2))
            pos = m.end()
        else:
            stmt_name = None
        operand = True   # expecting an operand (else an operator)
        callee = False   # the last operand was a name that a '(' would call
        qname = False    # ... and it was a dotted name (a constant unless called)
        m = None
        for m in tokens(text, pos):
            group: int = m.lastindex  # type: ignore[assignment]  # one group always matches
            if group == 1:
                continue
            s = m[group]
            if operand:
                if group == 3:
                    tag(NAME)
                    arg(s)
                    callee = True
                elif group == 4:
                    value = float(s)
                    if value == _INF:
                        return
                    tag(NUM)
                    arg(value)
                elif s == "(":
                    ops.append(LPAR)
                    ostart.append(m.start(group))
                    continue
                elif group == 2:
                    tag(NAME)
                    arg(s)
                    callee = qname = True
                elif s in unary:
                    ops.append(unary[s])
                    ostart.append(m.start(group))
                    continue
                elif (s == "\n" or s == ";") and stmt_name is None and not ops:
                    break  # an empty statement
                else:
                    return
                b, e = m.span(group)
                start(b)
                end(e)
                vstart.append(b)
                operand = False
                continue

            # Expecting an operator.
            if callee:
                callee = False
                if s == "(":   # a call: the name becomes a pending call
                    fname = args.pop()
                    tags.pop()
                    ends.pop()
                    ostart.append(starts.pop())
                    vstart.pop()
                    if qname:
                        qname = False
                        prefix, _, fname = fname.partition(".")
                        if prefix not in PREFIXES:
                            return
                    op = FUNCTIONS.get(fname)
                    if op is None:
                        return
                    ops.append(CALL)
                    calls.append([op, 0])
                    operand = True
                    continue
                if qname:  # a constant such as math.pi
                    qname = False
                    if not _constant(tags, args):
                        return
            code = binary.get(s)
            if code is not None:
                p_in = prec[code]
                while ops:
                    top = ops[-1]
                    p_top = prec[top]
                    if p_top < p_in or (p_top == p_in and right[code]) or p_top == 0:
                        break
                    ops.pop()
                    b = ostart.pop()
                    if top < b0:  # unary: +x applies nothing
                        if opname[top] is not None:
                            tag(1)
                            arg(opname[top])
                            start(b)
                            end(ends[-1])
                            vstart[-1] = b
                    else:
                        vstart.pop()
                        tag(2)
                        arg(opname[top])
                        start(vstart[-1])
                        end(ends[-1])
                ops.append(code)
                ostart.append(0)
                operand = True
                if code_size and len(tags) >= code_size and (stmt_name is None or not aug):
                    yield p, False
                    p.clear()
                continue
            if s == ")" or s == ",":
                # Close everything up to the innermost '(' or call. (The emitting
                # of each closed operator is written out here and above rather
                # than called: this loop runs once per token of every program.)
                while ops:
                    top = ops[-1]
                    if prec[top] == 0:
                        break
                    ops.pop()
                    b = ostart.pop()
                    if top < b0:  # unary: +x applies nothing
                        if opname[top] is not None:
                            tag(1)
                            arg(opname[top])
                            start(b)
                            end(ends[-1])
                            vstart[-1] = b
                    else:
                        vstart.pop()
                        tag(2)
                        arg(opname[top])
                        start(vstart[-1])
                        end(ends[-1])
                if not ops:
                    return
                top = ops[-1]
                if s == ",":
                    if top != CALL:
                        return
                    calls[-1][1] += 1
                    operand = True
                    continue
                ops.pop()
                b = ostart.pop()
                if top == LPAR:   # a group: its span takes in the parentheses
                    starts[-1] = b
                    ends[-1] = m.end()
                    vstart[-1] = b
                else:
                    op, k = calls.pop()
                    k += 1
                    if k != op.arity and not (op.variadic and k >= op.arity):
                        return
                    tag(k)
                    arg(op.name)
                    start(b)
                    end(m.end())
                    del vstart[-k:]
                    vstart.append(b)
                continue
            if s == "\n" or s == ";":
                if not _finish(ops, ostart, vstart, tag, arg, start, end, ends):
                    return
                _statement(p, stmt_name, aug if stmt_name else "", name_span if stmt_name else None)
                if size and len(p.name) >= size:
                    yield p, False
                    p.clear()
                break
            return
        else:
            # The end of the text.
            if operand:
                if stmt_name is not None or ops:
                    return
                yield p, True
                return
            if callee and qname and not _constant(tags, args):
                return
            if not _finish(ops, ostart, vstart, tag, arg, start, end, ends):
                return
            _statement(p, stmt_name, aug if stmt_name else "", name_span if stmt_name else None)
            yield p, True
            return
        pos = m.end()


def _constant(tags, args) -> bool:
    """Turn the dotted name last read into its constant (math.pi); False if none."""
    prefix, _, name = args[-1].partition(".")
    if prefix not in PREFIXES or name not in CONSTANTS:
        return False
    tags[-1] = NUM
    args[-1] = CONSTANTS[name]
    return True


def _finish(ops, ostart, vstart, tag, arg, start, end, ends) -> bool:
    """Apply the operators still open at the end of a statement."""
    while ops:
        top = ops.pop()
        b = ostart.pop()
        if _PREC[top] == 0:
            return False   # an unclosed '(' or call
        if top < _BINARY0:
            if _OPNAME[top] is not None:
                tag(1)
                arg(_OPNAME[top])
                start(b)
                end(ends[-1])
                vstart[-1] = b
        else:
            vstart.pop()
            tag(2)
            arg(_OPNAME[top])
            start(vstart[-1])
            end(ends[-1])
    vstart.pop()
    return True


def _statement(p: Program, name, aug, name_span) -> None:
    if name is None:
        p.name.append(None)
        p.nstart.append(p.start[-1])
        p.nend.append(p.end[-1])
    else:
        p.name.append(name)
        p.nstart.append(name_span[0])
        p.nend.append(name_span[1])
    p.aug.append(aug)
    p.code_end.append(len(p.tag))
