"""The fast road from text to a flat program, for valid input only.

Why this exists (measured, see benchmarks/bench_scale.py): lark's LALR loop,
even with the transformer handed to the parser and no parse tree, reads about
1 MB/s here, so a generated program of 100,000 operations (about 2 MB) took
longer than the whole 1-second budget just to parse, and a million
operations about 20 s. Feeding lark a faster tokenizer does not help much:
the time is in the parser's per-token Python loop and the per-rule
callbacks. This module is an iterative operator-precedence (shunting-yard)
parser over one regular expression, writing postfix code straight into flat
arrays (flat.Program), with no tree and no recursion; it is about 5x faster
than lark and does not import lark at all, which also takes lark's import
off the start-up of every valid command.

It is not a second definition of the language. grammar/gradcli.lark stays
the reference: this parser gives up (returns None) at the first thing that
is not plainly valid, and parse.py then parses the text again with lark,
which produces the error message. tests/test_fastparse.py checks that both
roads give identical syntax trees (spans included) on the examples and on
random programs.

The terminals below copy the grammar's, in the order lark's basic lexer
tries them (comments before '/', QNAME before NAME, '**' before '*').
"""
from __future__ import annotations

import re

from .flat import NAME, NUM, Program
from .ops import CONSTANTS, FUNCTIONS

PREFIXES = ("math", "Math")
DECLARATIONS = ("var", "let", "const")

_WS = r"[ \t\f\r]"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# Groups: 1 skipped, 2 QNAME, 3 NAME, 4 NUMBER, 5 symbol, 6 anything else.
_TOKEN = re.compile(r"(%s+|(?:#|//)[^\n]*)|(%s\.%s)|(%s)|(%s)|(\*\*|[-+*/]=|[-+*/^=(),;\n])|([\s\S])"
                    % (_WS, _NAME, _NAME, _NAME, _NUMBER)).match
# `name = 3` or `name = -0.5`, a whole statement: the bulk of generated programs.
_BIND = re.compile(r"%s*(%s)%s*=%s*(?:(-)%s*)?(%s)%s*(?:[\n;]|\Z)"
                   % (_WS, _NAME, _WS, _WS, _WS, _NUMBER, _WS)).match
# `name =`, `name +=`, ..., `var name =` at the start of a statement.
_HEAD = re.compile(r"%s*(?:(%s)%s+)?(%s)%s*([-+*/]?=)" % (_WS, _NAME, _WS, _NAME, _WS)).match

# Operator stack codes; LPAR and CALL are barriers.
LPAR, ADD, SUB, MUL, DIV, NEG, POS, POW, CALL = range(9)
_PREC = (0, 1, 1, 2, 2, 3, 3, 4, 0)
_OPNAME = (None, "add", "sub", "mul", "div", "neg", None, "pow", None)
_BINARY = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "^": POW, "**": POW}
_INF = float("inf")


def parse(text: str) -> Program | None:
    """The flat program of `text`, or None if it is not plainly valid."""
    p = Program()
    tags, args, starts, ends = p.tag, p.arg, p.start, p.end
    tag, arg, start, end = tags.append, args.append, starts.append, ends.append
    names, augs, nstarts, nends, code_end = p.name.append, p.aug.append, p.nstart.append, p.nend.append, p.code_end.append
    ops: list[int] = []     # operator stack
    ostart: list[int] = []  # where each operator (or call's name) starts
    vstart: list[int] = []  # where each value on the value stack starts
    calls: list = []        # [op, arguments so far] of each open call
    pos = 0
    binary, prec, opname = _BINARY, _PREC, _OPNAME
    token = _TOKEN

    while True:
        # A statement starts here.
        m = _BIND(text, pos)
        if m is not None:
            value = float(m.group(3))
            if value == _INF:
                return None
            names(m.group(1))
            augs("")
            nstarts(m.start(1))
            nends(m.end(1))
            tag(NUM)
            arg(value)
            start(m.start(3))
            end(m.end(3))
            if m.group(2):
                tag(1)
                arg("neg")
                start(m.start(2))
                end(m.end(3))
            code_end(len(tags))
            pos = m.end()
            continue
        m = _HEAD(text, pos)
        if m is not None:
            keyword = m.group(1)
            if keyword is not None and keyword not in DECLARATIONS:
                return None
            stmt_name, aug = m.group(2), m.group(3)[:-1]
            name_span = (m.start(2), m.end(2))
            pos = m.end()
        else:
            stmt_name = None
        operand = True   # expecting an operand (else an operator)
        callee = False   # the last operand was a name that a '(' would call
        qname = False    # ... and it was a dotted name (a constant unless called)
        while True:
            m = token(text, pos)
            if m is None:
                group, s = 0, ""   # the end of the text
            else:
                group = m.lastindex
                if group == 1:
                    pos = m.end()
                    continue
                s = m.group(group)
            if operand:
                if group == 4:
                    value = float(s)
                    if value == _INF:
                        return None
                    tag(NUM)
                    arg(value)
                elif group == 3 or group == 2:
                    tag(NAME)
                    arg(s)
                    callee, qname = True, group == 2
                elif s == "(":
                    ops.append(LPAR)
                    ostart.append(m.start())
                    pos = m.end()
                    continue
                elif s == "-" or s == "+":
                    ops.append(NEG if s == "-" else POS)
                    ostart.append(m.start())
                    pos = m.end()
                    continue
                elif group == 0 or s == "\n" or s == ";":
                    if stmt_name is None and not ops:  # an empty statement
                        break
                    return None
                else:
                    return None
                b = m.start()
                start(b)
                end(m.end())
                vstart.append(b)
                pos = m.end()
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
                        prefix, _, fname = fname.partition(".")
                        if prefix not in PREFIXES:
                            return None
                    op = FUNCTIONS.get(fname)
                    if op is None:
                        return None
                    ops.append(CALL)
                    calls.append([op, 0])
                    operand = True
                    pos = m.end()
                    continue
                if qname:  # a constant such as math.pi
                    prefix, _, cname = args[-1].partition(".")
                    if prefix not in PREFIXES or cname not in CONSTANTS:
                        return None
                    tags[-1] = NUM
                    args[-1] = CONSTANTS[cname]
            code = binary.get(s)
            if code is not None:
                p_in = prec[code]
                while ops:
                    top = ops[-1]
                    p_top = prec[top]
                    if p_top < p_in or (p_top == p_in and code == POW) or p_top == 0:
                        break
                    ops.pop()
                    b = ostart.pop()
                    if top == NEG:
                        tag(1)
                        arg("neg")
                        start(b)
                        end(ends[-1])
                        vstart[-1] = b
                    elif top != POS:
                        vstart.pop()
                        tag(2)
                        arg(opname[top])
                        start(vstart[-1])
                        end(ends[-1])
                ops.append(code)
                ostart.append(0)
                operand = True
                pos = m.end()
                continue
            if s == ")" or s == ",":
                # Close everything up to the innermost '(' or call.
                while ops:
                    top = ops[-1]
                    if prec[top] == 0:
                        break
                    ops.pop()
                    b = ostart.pop()
                    if top == NEG:
                        tag(1)
                        arg("neg")
                        start(b)
                        end(ends[-1])
                        vstart[-1] = b
                    elif top != POS:
                        vstart.pop()
                        tag(2)
                        arg(opname[top])
                        start(vstart[-1])
                        end(ends[-1])
                if not ops:
                    return None
                top = ops[-1]
                if s == ",":
                    if top != CALL:
                        return None
                    calls[-1][1] += 1
                    operand = True
                    pos = m.end()
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
                        return None
                    tag(k)
                    arg(op.name)
                    start(b)
                    end(m.end())
                    del vstart[-k:]
                    vstart.append(b)
                pos = m.end()
                continue
            if group == 0 or s == "\n" or s == ";":
                while ops:
                    top = ops.pop()
                    b = ostart.pop()
                    if top == NEG:
                        tag(1)
                        arg("neg")
                        start(b)
                        end(ends[-1])
                        vstart[-1] = b
                    elif top == POS:
                        continue
                    elif prec[top] == 0:
                        return None   # an unclosed '(' or call
                    else:
                        vstart.pop()
                        tag(2)
                        arg(opname[top])
                        start(vstart[-1])
                        end(ends[-1])
                vstart.pop()
                if stmt_name is None:
                    names(None)
                    augs("")
                    nstarts(starts[-1])
                    nends(ends[-1])
                else:
                    names(stmt_name)
                    augs(aug)
                    nstarts(name_span[0])
                    nends(name_span[1])
                code_end(len(tags))
                break
            return None
        if m is None:
            return p
        pos = m.end()
