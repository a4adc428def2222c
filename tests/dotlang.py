"""A strict reader for the part of Graphviz's DOT language that --dot writes,
so the tests can check the output is valid DOT without graphviz installed:
the grammar of graphviz's own docs (digraph, statements, attribute lists,
edges), quoted strings, and HTML-like labels, which must be well-formed XML.
Every edge must join declared nodes. A parse error raises ValueError."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<arrow>->)
  | (?P<punct>[{}\[\];,=])
  | (?P<id>[A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<html><)
""", re.X | re.S)

KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


@dataclass
class Html:
    """An HTML-like label: its markup and its XML element."""
    markup: str
    element: ET.Element

    def lines(self) -> list[str]:
        """The text of each line (<br/> ends one), tags left out."""
        lines = [self.element.text or ""]
        for piece in self.element.iter():
            if piece is self.element:
                continue
            if piece.tag == "br":
                lines.append("")
            else:
                lines[-1] += "".join(piece.itertext())
            lines[-1] += piece.tail or ""
        return lines

    def red(self) -> list[str]:
        """The text of each <font color="#c62828"> (the gradients)."""
        return [f.text or "" for f in self.element.iter("font") if f.get("color") == "#c62828"]

    def green(self) -> list[str]:
        """The text of each <font color="#2e7d32"> (the values)."""
        return [f.text or "" for f in self.element.iter("font") if f.get("color") == "#2e7d32"]


@dataclass
class Graph:
    name: str
    attrs: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)    # id -> attributes
    edges: list = field(default_factory=list)    # (tail, head, attributes), in order


def _tokens(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise ValueError("unexpected %r at %d" % (text[i:i + 20], i))
        kind = m.lastgroup
        if kind == "space":
            i = m.end()
        elif kind == "html":  # balanced <...>
            depth, j = 0, i
            while j < len(text):
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            if depth:
                raise ValueError("unclosed HTML label at %d" % i)
            markup = text[i + 1:j - 1]
            try:
                element = ET.fromstring("<label>%s</label>" % markup)
            except ET.ParseError as e:
                raise ValueError("HTML label is not well-formed: %s: %r" % (e, markup)) from None
            out.append(("value", Html(markup, element)))
            i = j
        elif kind == "string":
            out.append(("value", bytes(m.group()[1:-1], "utf-8").decode("unicode_escape")
                        if "\\" in m.group() else m.group()[1:-1]))
            i = m.end()
        elif kind == "id":
            word = m.group()
            out.append(("keyword" if word.lower() in KEYWORDS else "value", word))
            i = m.end()
        else:
            out.append((m.group(), m.group()))
            i = m.end()
    return out


def parse(text: str) -> list[Graph]:
    """Every digraph in the text, in order."""
    toks = _tokens(text)
    pos = 0

    def peek() -> tuple[str, object]:
        return toks[pos] if pos < len(toks) else ("end", None)

    def take(kind: str, value: object = None) -> object:
        nonlocal pos
        k, v = peek()
        if k != kind or (value is not None and v != value):
            raise ValueError("expected %s %s, found %s %r (token %d)" % (kind, value or "", k, v, pos))
        pos += 1
        return v

    def attr_list() -> dict:
        attrs: dict = {}
        while peek()[0] == "[":
            take("[")
            while peek()[0] != "]":
                key = take("value")
                take("=")
                attrs[key] = take("value")
                if peek()[0] in (",", ";"):
                    take(peek()[0])
            take("]")
        return attrs

    graphs = []
    while peek()[0] != "end":
        take("keyword", "digraph")
        g = Graph(str(take("value")))
        take("{")
        while peek()[0] != "}":
            kind, value = peek()
            if kind == "keyword" and value in ("graph", "node", "edge"):
                take("keyword")
                g.attrs.setdefault(value, {}).update(attr_list())
            else:
                first = take("value")
                if peek()[0] == "=":  # a graph attribute: label=...
                    take("=")
                    g.attrs[first] = take("value")
                else:
                    chain = [first]
                    while peek()[0] == "->":
                        take("->")
                        chain.append(take("value"))
                    attrs = attr_list()
                    if len(chain) == 1:
                        if first in g.nodes:
                            raise ValueError("node %s declared twice" % first)
                        g.nodes[first] = attrs
                    else:
                        for tail, head in zip(chain, chain[1:]):
                            for end in (tail, head):
                                if end not in g.nodes:
                                    raise ValueError("edge %s -> %s: %s is not declared" % (tail, head, end))
                            g.edges.append((tail, head, attrs))
            if peek()[0] == ";":
                take(";")
        take("}")
        graphs.append(g)
    if not graphs:
        raise ValueError("no digraph")
    return graphs
