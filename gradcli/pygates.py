"""Python written with Unit and gate classes (the Hacker's guide in Python),
read with Python's own parser, the `ast` module, into circuit.py's tree.

Python parses the text, and only parses it: nothing of it is compiled or
run. What the tree holds outside the subset the tutorial's first chapter
uses (loops, conditionals, imports other than math, ...) is refused here
with the construct and its line.
"""
from __future__ import annotations

import ast as pyast
import re
from typing import Any

from . import circuit as c
from .errors import ParseError, Source
from .syntax import BINARY

_SYMBOLS = {pyast.Add: "+", pyast.Sub: "-", pyast.Mult: "*", pyast.Div: "/", pyast.Pow: "**"}
_COMPARE = {pyast.Eq: "==", pyast.NotEq: "!=", pyast.Lt: "<", pyast.LtE: "<=", pyast.Gt: ">", pyast.GtE: ">="}
_OP_OF = {s: b.op for b in BINARY for s in b.symbols}
_AUG = {pyast.Add: "+", pyast.Sub: "-", pyast.Mult: "*", pyast.Div: "/"}

_CONSTRUCTS = {
    "For": "a for loop", "AsyncFor": "a for loop", "While": "a while loop", "If": "an if statement",
    "With": "a with statement", "AsyncWith": "a with statement", "Try": "a try statement",
    "Raise": "a raise statement", "Delete": "a del statement", "Match": "a match statement",
    "Assert": "an assert statement", "Nonlocal": "a nonlocal statement", "AsyncFunctionDef": "an async function",
    "Import": "an import", "ImportFrom": "an import", "ListComp": "a list comprehension", "List": "a list",
    "Tuple": "a tuple", "Dict": "a dict", "Set": "a set", "Subscript": "an index", "Lambda": "a lambda",
    "Yield": "yield", "Await": "await", "Starred": "a starred argument", "GeneratorExp": "a generator",
    "DictComp": "a dict comprehension", "SetComp": "a set comprehension", "NamedExpr": "the := operator",
    "TryStar": "a try statement", "AnnAssign": "an annotated assignment", "Global": "a global statement",
}


class _Reader:
    def __init__(self, source: Source):
        self.source = source
        text = source.text
        # Lines as Python's tokenizer counts them: \r\n, \r and \n each end one.
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n?|\n", text)]
        self.lines = [text[a:b].rstrip("\r\n") for a, b in zip(self.starts, self.starts[1:] + [len(text)])]

    def offset(self, line: int, col: int) -> int:
        """A character offset from ast's line and UTF-8 byte column."""
        chars = len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.starts[line - 1] + chars

    def span(self, node: Any) -> c.Span:
        start = self.offset(node.lineno, node.col_offset)
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        end = self.offset(end_line, end_col) if end_line is not None and end_col is not None else start + 1
        return start, end

    def refuse(self, node: Any, what: str | None = None) -> ParseError:
        name = type(node).__name__
        return c.refuse(self.source, what or _CONSTRUCTS.get(name, "Python's %s" % name), self.span(node))

    # statements
    def module(self, tree: pyast.Module) -> list:
        return self.body(tree.body, top=True, self_name=None)

    def body(self, stmts: list, top: bool, self_name: str | None, globals_: frozenset = frozenset()) -> list:
        out: list = []
        names = set(globals_)
        for st in stmts:
            if isinstance(st, pyast.Global) and not top:
                names.update(st.names)
                continue
            out.extend(self.statement(st, top, self_name, frozenset(names)))
        return out

    def statement(self, st: Any, top: bool, self_name: str | None, globals_: frozenset) -> list:
        sp = self.span(st)
        if isinstance(st, (pyast.Import, pyast.ImportFrom)):
            modules = [a.name for a in st.names] if isinstance(st, pyast.Import) else [st.module or ""]
            if not all(m == "math" for m in modules):
                raise self.refuse(st, "import %s" % ", ".join(modules))
            # import math as m, from math import exp (as e): the names they bind, as assignments
            math_ = c.Name("math", sp)
            if isinstance(st, pyast.Import):
                return [c.Assign(c.Name(a.asname, sp), "", math_, True, sp) for a in st.names if a.asname]
            if any(a.name == "*" for a in st.names):
                raise c.refuse(self.source, "from math import *", sp, hint="import the functions by name, as in "
                               "from math import exp, or write math.exp")
            return [c.Assign(c.Name(a.asname or a.name, sp), "", c.Attr(math_, a.name, sp), True, sp)
                    for a in st.names]
        if isinstance(st, pyast.Pass):
            return []
        if isinstance(st, pyast.Expr):
            v = st.value
            if isinstance(v, pyast.Constant) and isinstance(v.value, str):
                return []  # a docstring
            if isinstance(v, pyast.Call) and isinstance(v.func, pyast.Name) and v.func.id == "print":
                return [c.Skipped("print", sp)]
            return [c.ExprStmt(self.expr(v, self_name), sp)]
        if isinstance(st, pyast.Assign):
            if len(st.targets) != 1:
                raise self.refuse(st, "a chained assignment (a = b = ...)")
            return [self.assignment(st.targets[0], "", st.value, sp, self_name, globals_)]
        if isinstance(st, pyast.AugAssign):
            aug = _AUG.get(type(st.op))
            if aug is None:
                raise self.refuse(st, "the %s= assignment" % type(st.op).__name__)
            return [self.assignment(st.target, aug, st.value, sp, self_name, globals_)]
        if isinstance(st, pyast.Return):
            return [c.Return(None if st.value is None else self.expr(st.value, self_name), sp)]
        if isinstance(st, pyast.FunctionDef):
            if not top:
                raise self.refuse(st, "a function inside a function")
            return [c.Assign(c.Name(st.name, sp), "", self.function(st, None), True, sp)]
        if isinstance(st, pyast.ClassDef):
            if not top:
                raise self.refuse(st, "a class inside a function")
            return [self.classdef(st)]
        raise self.refuse(st)

    def assignment(self, target: Any, aug: str, value: Any, sp: c.Span, self_name: str | None,
                   globals_: frozenset) -> Any:
        if isinstance(target, pyast.Name):
            t: Any = c.Name(target.id, self.span(target))
            declare = target.id not in globals_
        elif isinstance(target, pyast.Attribute):
            t = self.expr(target, self_name)
            declare = False
        else:
            raise self.refuse(target, "assigning to %s" % _CONSTRUCTS.get(type(target).__name__, "this"))
        return c.Assign(t, aug, self.expr(value, self_name), declare, sp)

    def function(self, fn: pyast.FunctionDef, self_name: str | None, method: bool = False) -> c.Func:
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or getattr(a, "posonlyargs", []):
            raise self.refuse(fn, "a function with default, keyword or * parameters")
        if fn.decorator_list:
            raise self.refuse(fn.decorator_list[0], "a decorator")
        params = [p.arg for p in a.args]
        if method:
            if not params:
                raise self.refuse(fn, "a method without self")
            self_name, params = params[0], params[1:]
        return c.Func(fn.name, params, self.body(fn.body, False, self_name), self.span(fn))

    def classdef(self, cls: pyast.ClassDef) -> c.ClassDef:
        for b in cls.bases:
            if not (isinstance(b, pyast.Name) and b.id == "object"):
                raise self.refuse(b, "a class with a base class")
        if cls.keywords or cls.decorator_list:
            raise self.refuse(cls, "a class with keywords or decorators")
        methods: dict[str, c.Func] = {}
        for st in cls.body:
            if isinstance(st, pyast.FunctionDef):
                methods["constructor" if st.name == "__init__" else st.name] = self.function(st, None, method=True)
            elif isinstance(st, pyast.Pass) or (isinstance(st, pyast.Expr) and isinstance(st.value, pyast.Constant)
                                                 and isinstance(st.value.value, str)):
                continue
            else:
                raise self.refuse(st, "a class body with more than methods")
        return c.ClassDef(cls.name, methods, self.span(cls))

    # expressions
    def expr(self, e: Any, self_name: str | None) -> Any:
        sp = self.span(e)
        if isinstance(e, pyast.Constant):
            if isinstance(e.value, bool) or e.value is None:
                raise self.refuse(e, repr(e.value))
            if isinstance(e.value, (int, float)):
                return c.number(self.source, e.value, self.source.text[sp[0]:sp[1]], sp)
            if isinstance(e.value, str):
                return c.Str(sp)
            raise self.refuse(e, "a %s constant" % type(e.value).__name__)
        if isinstance(e, pyast.JoinedStr):
            return c.Str(sp)
        if isinstance(e, pyast.Name):
            return c.This(sp) if e.id == self_name else c.Name(e.id, sp)
        if isinstance(e, pyast.Attribute):
            return c.Attr(self.expr(e.value, self_name), e.attr, sp)
        if isinstance(e, pyast.Call):
            if e.keywords:
                raise self.refuse(e.keywords[0], "a keyword argument")
            return c.Call(self.expr(e.func, self_name), [self.expr(a, self_name) for a in e.args], sp)
        if isinstance(e, pyast.BinOp):
            symbol = _SYMBOLS.get(type(e.op))
            if symbol is None:
                raise self.refuse(e, "the operator %s" % type(e.op).__name__)
            return c.Bin(_OP_OF[symbol], self.expr(e.left, self_name), self.expr(e.right, self_name), sp)
        if isinstance(e, pyast.IfExp):
            return c.Cond(self.expr(e.test, self_name), self.expr(e.body, self_name),
                          self.expr(e.orelse, self_name), sp)
        if isinstance(e, pyast.Compare):
            if len(e.ops) != 1 or type(e.ops[0]) not in _COMPARE:
                raise self.refuse(e, "a chained comparison, or is/in")
            return c.Bin(_OP_OF[_COMPARE[type(e.ops[0])]], self.expr(e.left, self_name),
                         self.expr(e.comparators[0], self_name), sp)
        if isinstance(e, pyast.BoolOp):
            word = "and" if isinstance(e.op, pyast.And) else "or"
            out = self.expr(e.values[0], self_name)
            for v in e.values[1:]:
                out = c.Bin(_OP_OF[word], out, self.expr(v, self_name), sp)
            return out
        if isinstance(e, pyast.UnaryOp) and isinstance(e.op, pyast.Not):
            return c.Unary("not", self.expr(e.operand, self_name), sp)
        if isinstance(e, pyast.UnaryOp):
            if isinstance(e.op, pyast.USub):
                return c.Unary("neg", self.expr(e.operand, self_name), sp)
            if isinstance(e.op, pyast.UAdd):
                return c.Unary(None, self.expr(e.operand, self_name), sp)
            raise self.refuse(e, "the operator %s" % type(e.op).__name__)
        raise self.refuse(e)


def read_tree(source: Source) -> list:
    """The text's tree (circuit.py), or ParseError with the line and column."""
    at = source.text.find("\0")
    if at >= 0:  # Python's parser refuses it before it reads a line, so it says where
        raise ParseError("unexpected character U+0000", span=(at, at + 1), source=source,
                         hint="remove the NUL byte; a text file holds none")
    try:
        tree = pyast.parse(source.text, filename=source.name)
    except SyntaxError as e:
        line = e.lineno or 1
        reader = _Reader(source)
        lines = reader.lines
        col = max(0, min((e.offset or 1) - 1, len(lines[line - 1]) if line <= len(lines) else 0))
        start = reader.starts[min(line, len(reader.starts)) - 1] + col
        hint = "fix the Python syntax"
        if isinstance(e, IndentationError):
            hint = ("indent each method under its class and each statement under its def; copied "
                    "code often loses its indentation")
        raise ParseError("not valid Python: %s" % e.msg, span=(start, start + 1), source=source, hint=hint) from None
    except ValueError as e:
        raise ParseError("not valid Python: %s" % e, source=source) from None
    except (MemoryError, RecursionError):
        raise _too_deep(source) from None
    reader = _Reader(source)
    try:
        return reader.module(tree)
    except RecursionError:
        raise _too_deep(source) from None


def _too_deep(source: Source) -> ParseError:
    """Python's parser and gradcli's reader of Unit-and-gate code nest as the
    expressions do: thousands of operations in one expression are too deep."""
    return ParseError("an expression of the program nests too deeply for gradcli to read Unit-and-gate code "
                      "(thousands of operations in one expression)", source=source,
                      hint="circuits of Unit and gate objects have a few gates; write a big computation in "
                           "gradcli's own language, which reads expressions of any size")
