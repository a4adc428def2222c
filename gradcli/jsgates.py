"""JavaScript written with Unit and gate objects (the Hacker's guide's own
code), read with tree-sitter's JavaScript grammar into circuit.py's tree.

tree-sitter is a maintained parser of the whole language, so what is
JavaScript but outside the subset gradcli reads (a loop, an if, a switch)
is named as such, with its line, rather than reported as a syntax error;
and it only parses: nothing is run.
"""
from __future__ import annotations

from typing import Any

from . import circuit as c
from .errors import ParseError, Source
from .syntax import BINARY

_OP_OF = {s: b.op for b in BINARY for s in b.symbols}
_ARITHMETIC = ("+", "-", "*", "/", "**", "==", "===", "!=", "!==", "<", "<=", ">", ">=", "&&", "||")
_AUG = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}
_CONSTRUCTS = {
    "for_statement": "a for loop", "for_in_statement": "a for-in/for-of loop", "while_statement": "a while loop",
    "do_statement": "a do-while loop", "if_statement": "an if statement", "switch_statement": "a switch",
    "try_statement": "a try statement", "throw_statement": "a throw statement", "import_statement": "an import",
    "export_statement": "an export", "array": "an array",
    "subscript_expression": "an index", "template_string": "a template string", "update_expression": "++ or --",
    "statement_block": "a block", "labeled_statement": "a label", "with_statement": "a with statement",
    "break_statement": "break", "continue_statement": "continue", "generator_function": "a generator",
    "await_expression": "await", "yield_expression": "yield", "spread_element": "a spread (...)",
    "sequence_expression": "a comma expression", "regex": "a regular expression", "null": "null",
    "undefined": "undefined", "true": "true", "false": "false",
}
_PARSER: Any = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        import tree_sitter_javascript
        from tree_sitter import Language, Parser
        _PARSER = Parser(Language(tree_sitter_javascript.language()))
    return _PARSER


class _Reader:
    def __init__(self, source: Source, data: bytes):
        self.source = source
        text = source.text
        if len(data) == len(text):  # ASCII: bytes are characters
            self.chars: list[int] | None = None
        else:
            chars = []
            for k, ch in enumerate(text):
                chars.extend([k] * len(ch.encode("utf-8")))
            chars.append(len(text))
            self.chars = chars

    def span(self, n: Any) -> c.Span:
        if self.chars is None:
            return n.start_byte, n.end_byte
        return self.chars[n.start_byte], self.chars[n.end_byte]

    def refuse(self, n: Any, what: str | None = None) -> ParseError:
        return c.refuse(self.source, what or _CONSTRUCTS.get(n.type, "JavaScript's %s" % n.type.replace("_", " ")),
                        self.span(n))

    @staticmethod
    def text(n: Any) -> str:
        return n.text.decode("utf-8")

    # statements
    def body(self, nodes: list) -> list:
        out: list = []
        for n in nodes:
            out.extend(self.statement(n))
        return out

    def statement(self, n: Any) -> list:
        t = n.type
        sp = self.span(n)
        if t in ("comment", "empty_statement", ";", "hash_bang_line"):
            return []
        if t in ("variable_declaration", "lexical_declaration"):
            out = []
            for d in n.named_children:
                if d.type != "variable_declarator":
                    continue
                name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
                if name is None or name.type != "identifier":
                    raise self.refuse(d, "a destructuring declaration")
                if value is None:
                    continue  # var x; gives it no value yet
                out.append(c.Assign(c.Name(self.text(name), self.span(name)), "", self.expr(value), True,
                                    self.span(d)))
            return out
        if t == "expression_statement":
            e = n.named_children[0]
            if e.type == "assignment_expression":
                return [self.assignment(e.child_by_field_name("left"), "", e.child_by_field_name("right"), sp)]
            if e.type == "augmented_assignment_expression":
                op = self.text(e.child_by_field_name("operator"))
                if op not in _AUG:
                    raise self.refuse(e, "the %s assignment" % op)
                return [self.assignment(e.child_by_field_name("left"), _AUG[op], e.child_by_field_name("right"), sp)]
            if e.type == "call_expression" and self.text(e.child_by_field_name("function")).replace(" ", "") \
                    in c.PRINTERS:
                return [c.Skipped("console.log", sp)]
            return [c.ExprStmt(self.expr(e), sp)]
        if t == "function_declaration":
            name = n.child_by_field_name("name")
            return [c.Assign(c.Name(self.text(name), self.span(name)), "", self.function(n, self.text(name)), True, sp)]
        if t == "class_declaration":
            return [self.classdef(n)]
        if t == "return_statement":
            value = n.named_children[0] if n.named_children else None
            return [c.Return(None if value is None else self.expr(value), sp)]
        raise self.refuse(n)

    def assignment(self, left: Any, aug: str, right: Any, sp: c.Span) -> Any:
        if left.type == "identifier":
            target: Any = c.Name(self.text(left), self.span(left))
        elif left.type == "member_expression":
            target = self.expr(left)
        else:
            raise self.refuse(left, "assigning to %s" % _CONSTRUCTS.get(left.type, "this"))
        return c.Assign(target, aug, self.expr(right), False, sp)

    def function(self, n: Any, name: str | None) -> c.Func:
        params_node = n.child_by_field_name("parameters") or n.child_by_field_name("parameter")
        params: list[str] = []
        if params_node is not None:
            nodes = [params_node] if params_node.type == "identifier" else params_node.named_children
            for p in nodes:
                if p.type == "comment":
                    continue
                if p.type != "identifier":
                    raise self.refuse(p, "a default, rest or destructured parameter")
                params.append(self.text(p))
        body = n.child_by_field_name("body")
        if body is None:
            stmts: list = []
        elif body.type == "statement_block":
            stmts = self.body(body.named_children)
        else:  # an arrow function's expression
            stmts = [c.Return(self.expr(body), self.span(body))]
        return c.Func(name, params, stmts, self.span(n))

    def classdef(self, n: Any) -> c.ClassDef:
        name = n.child_by_field_name("name")
        if any(ch.type == "class_heritage" for ch in n.children):
            raise self.refuse(n, "a class that extends another")
        methods: dict[str, c.Func] = {}
        body = n.child_by_field_name("body")
        for m in body.named_children if body is not None else []:
            if m.type == "comment" or m.type == ";":
                continue
            if m.type != "method_definition" or any(ch.type in ("static", "get", "set", "async", "*")
                                                    for ch in m.children):
                raise self.refuse(m, "a class member other than a method")
            key = self.text(m.child_by_field_name("name"))
            methods[key] = self.function(m, key)
        return c.ClassDef(self.text(name), methods, self.span(n))

    # expressions
    def expr(self, n: Any) -> Any:
        t = n.type
        sp = self.span(n)
        if t == "number":
            text = self.text(n).replace("_", "")
            value: float | int
            try:
                value = float(text)
            except ValueError:
                try:
                    value = int(text, 0)
                except ValueError:
                    raise self.refuse(n, "the number %s" % text) from None
            return c.number(self.source, value, self.text(n), sp)
        if t == "identifier":
            name = self.text(n)
            if name in _CONSTRUCTS:
                raise self.refuse(n)
            return c.Name(name, sp)
        if t == "this":
            return c.This(sp)
        if t in ("string", "template_string"):
            return c.Str(sp)
        if t == "parenthesized_expression":
            inner = [ch for ch in n.named_children if ch.type != "comment"]
            if len(inner) != 1:
                raise self.refuse(n)
            return self.expr(inner[0])
        if t == "member_expression":
            prop = n.child_by_field_name("property")
            if prop is None or prop.type not in ("property_identifier", "private_property_identifier"):
                raise self.refuse(n, "a computed field")
            return c.Attr(self.expr(n.child_by_field_name("object")), self.text(prop), sp)
        if t == "call_expression":
            args = n.child_by_field_name("arguments")
            if args is None or args.type != "arguments":
                raise self.refuse(n, "a tagged template")
            return c.Call(self.expr(n.child_by_field_name("function")), self.arguments(args), sp)
        if t == "new_expression":
            args = n.child_by_field_name("arguments")
            return c.New(self.expr(n.child_by_field_name("constructor")),
                         self.arguments(args) if args is not None else [], sp)
        if t == "binary_expression":
            op = self.text(n.child_by_field_name("operator"))
            if op not in _ARITHMETIC:
                raise self.refuse(n, "the operator %s" % op)
            return c.Bin(_OP_OF[op], self.expr(n.child_by_field_name("left")), self.expr(n.child_by_field_name("right")),
                         sp)
        if t == "unary_expression":
            op = self.text(n.child_by_field_name("operator"))
            arg = self.expr(n.child_by_field_name("argument"))
            if op == "-":
                return c.Unary("neg", arg, sp)
            if op == "!":
                return c.Unary("not", arg, sp)
            if op == "+":
                return c.Unary(None, arg, sp)
            raise self.refuse(n, "the operator %s" % op)
        if t == "ternary_expression":
            return c.Cond(self.expr(n.child_by_field_name("condition")), self.expr(n.child_by_field_name("consequence")),
                          self.expr(n.child_by_field_name("alternative")), sp)
        if t in ("function_expression", "function", "arrow_function"):
            name = n.child_by_field_name("name")
            return self.function(n, self.text(name) if name is not None else None)
        if t == "object":
            items = []
            for p in n.named_children:
                if p.type == "comment":
                    continue
                if p.type == "pair":
                    key = p.child_by_field_name("key")
                    k = self.text(key).strip("'\"")
                    items.append((k, self.expr(p.child_by_field_name("value"))))
                elif p.type == "method_definition":
                    k = self.text(p.child_by_field_name("name"))
                    items.append((k, self.function(p, k)))
                else:
                    raise self.refuse(p, "an object entry other than name: value")
            return c.ObjectLit(items, sp)
        if t in ("assignment_expression", "augmented_assignment_expression"):
            raise self.refuse(n, "an assignment inside an expression")
        raise self.refuse(n)

    def arguments(self, args: Any) -> list:
        return [self.expr(a) for a in args.named_children if a.type != "comment"]


def _first_error(root: Any) -> Any:
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return root


def read_tree(source: Source) -> list:
    """The text's tree (circuit.py), or ParseError with the line and column."""
    data = source.text.encode("utf-8", "surrogatepass")
    tree = _parser().parse(data)
    reader = _Reader(source, data)
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        start, end = reader.span(bad)
        what = "%s is missing" % bad.type if bad.is_missing else "gradcli cannot parse this"
        raise ParseError("not valid JavaScript: %s" % what, span=(start, max(end, start + 1)), source=source,
                         hint="check the brackets and the statement before this one")
    try:
        return reader.body(root.named_children)
    except RecursionError:
        raise ParseError("the program nests too deeply for gradcli to read", source=source) from None
