"""The syntax tree: small frozen records.

Spans are (start, end) character offsets into the source; they are kept for
labels and error messages but left out of equality, so trees built from
different text compare by meaning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    span: Span = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Apply:
    """An operation of the op table applied to its arguments: `a*b` is
    Apply("mul", (Name("a"), Name("b")))."""
    op: str
    args: tuple["Expr", ...]
    span: Span = field(default=(0, 0), compare=False, repr=False)


Expr = Union[Num, Name, Apply]


@dataclass(frozen=True, slots=True)
class Assign:
    """`name = value`, or `name += value` and the like when `aug` is the operator."""
    name: str
    value: Expr
    aug: str = ""
    span: Span = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Output:
    """A bare expression: one of the program's outputs."""
    expr: Expr
    span: Span = field(default=(0, 0), compare=False, repr=False)


Stmt = Union[Assign, Output]
