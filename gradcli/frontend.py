"""The front door: text -> graph, the one road every caller takes.

    text --check_size--> fastparse (valid text, fast) or parse (lark: the
         reference, and every error) --> flat program (flat.py)
         --backward_start--> forward statements + a hand-written backward pass
         --graph.Builder--> Graph

The command line, the API (`gradcli.evaluate`, `Program`), --verify and the
session all come through here. A big program is read and built a piece at
a time, so its text and its code are never both held whole.
"""
from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Mapping

from . import fastparse, gates, syntax
from .errors import InputError, Source
from .flat import Program, from_ast, to_ast, without_gc
from .graph import ArrayBuilder, Builder, Graph, NeedsArrays
from .ops import BARE_CONSTANTS

if TYPE_CHECKING:
    from . import ast

MAX_PROGRAM_CHARS = 64 * 2**20  # about 15 million operations, some 6 GB of memory
PIECE = 4096  # statements per piece
PIECE_CODE = 65536  # code per piece, a long statement being cut


def check_size(source: Source) -> None:
    """Refuse, up front, a program too big to compute in reasonable time and memory."""
    size = len(source.text)
    if size > MAX_PROGRAM_CHARS:
        raise too_big("%.0f MiB" % (size / 2**20))


def too_big(size: str) -> InputError:
    return InputError("the program is %s of text; gradcli reads programs of up to %d MiB "
                      "(about 15 million operations)" % (size, MAX_PROGRAM_CHARS // 2**20),
                      hint="split the computation, or compute the parts that matter")


_CONTINUATION = bytes(range(0x80, 0xC0))  # the bytes of UTF-8 that do not start a character


def read_bytes(read) -> bytes:
    """All the bytes `read(n)` gives until it gives none, or InputError as
    soon as they hold more than MAX_PROGRAM_CHARS characters of UTF-8: of
    /dev/zero, a device that never ends, it reads the cap and one byte more."""
    parts: list[bytes] = []
    chars = 0
    while True:
        data = read(MAX_PROGRAM_CHARS + 1 - chars)  # at least one byte a character
        if not data:
            return b"".join(parts)
        parts.append(data)
        chars += len(data.translate(None, _CONTINUATION))
        if chars > MAX_PROGRAM_CHARS:
            raise too_big("more than %d MiB" % (MAX_PROGRAM_CHARS // 2**20))


def _lark(source: Source) -> Program:
    from .parse import parse_lark
    return from_ast(parse_lark(source))


@without_gc
def read(source: Source) -> Program:
    """The whole program in flat form; ParseError or ProgramError if it is not valid."""
    check_size(source)
    program = fastparse.parse(source.text)
    return _lark(source) if program is None else program


def parse(text: str | Source, name: str = "<expr>") -> list[ast.Stmt]:
    """The program as syntax records (gradcli/ast.py), for people and tests
    who want to look at its structure."""
    return to_ast(read(text if isinstance(text, Source) else Source(text, name)))


def build(source: Source, bindings: Mapping[str, float] | None = None, *,
          open_inputs: bool = False, keep_scope: bool = False, seed: int = 0) -> Graph:
    """The graph of a program; `bindings` override its own `name = number` lines.

    A hand-written backward pass at the end (see backward_start) is left out
    of the graph and kept in `graph.backward`, for --verify. With
    `open_inputs` inputs may stay unbound (Program binds them at each
    evaluation); with `keep_scope` the graph keeps `scope`, `computed` and
    `program` (its forward statements).
    """
    check_size(source)
    bindings = bindings or {}
    lang = gates.language(source)
    if lang is not None:  # code with Unit and gate objects: its forward pass, read as a program
        return _circuit(source, bindings, open_inputs, keep_scope, lang)
    arrays = any(not isinstance(v, (int, float)) for v in bindings.values())  # an array bound
    try:
        return _build(source, bindings, open_inputs, keep_scope, seed, arrays)
    except NeedsArrays:  # the program uses arrays: built again, whole, by the array builder
        return _build(source, bindings, open_inputs, keep_scope, seed, True)


def _circuit(source: Source, bindings: Mapping[str, float], open_inputs: bool, keep_scope: bool,
             lang: str) -> Graph:
    circuit = gates.read(source, bindings, lang)
    builder = Builder(source, {**circuit.values, **bindings}, open_inputs)
    g = without_gc(builder.program)(circuit.program)
    g.circuit = circuit
    g.notes.extend(circuit.notes)
    if keep_scope:
        g.scope, g.computed, g.program = builder.env, builder.computed, circuit.program
    return g


def _build(source: Source, bindings: Mapping[str, float], open_inputs: bool, keep_scope: bool,
           seed: int, arrays: bool) -> Graph:
    builder = ArrayBuilder(source, bindings, open_inputs, seed) if arrays else Builder(source, bindings, open_inputs)
    if keep_scope or arrays or _ASSIGNS_D_NAME(source.text):
        program = read(source)
        start = backward_start(program)
        forward, backward = program.split(start)
        g = without_gc(builder.program)(forward)
        g.backward = backward
        if None not in forward.name:  # no bare expression: the output is the last name assigned
            why = unread_backward(forward, source)
            if why is not None:
                g.notes.append(why)
    else:
        g = without_gc(_build_pieces)(builder, source)
    if keep_scope:
        g.scope, g.computed, g.program = builder.env, builder.computed, forward
    return g


def _build_pieces(builder: Builder, source: Source) -> Graph:
    text = source.text
    # A later `pi = 3` changes what an earlier bare `pi` means: such a
    # program is built whole, once every name it assigns is known.
    piecewise = _ASSIGNS_CONSTANT(text) is None
    for program, done in fastparse.chunks(text, PIECE if piecewise else None,
                                          PIECE_CODE if piecewise else None):
        if not piecewise:
            builder.assigned = set(program.name)
            builder.assigned.discard(None)
        builder.statements(program)
        if done:
            program.clear()  # before finish() allocates more
            return _trimmed(builder.finish(scope=False))  # the builder is dropped: no scope to keep
    # The fast parser gave up: lark parses the text, or says what is wrong.
    fresh = Builder(source, builder.bindings, builder.open_inputs)
    g = fresh.program(_lark(source))
    builder.env, builder.computed = fresh.env, fresh.computed
    return g


def _trimmed(g: Graph) -> Graph:
    """Hand the memory freed while building (the program's code, tens of MB
    for a big one) back to the system, where the C library can: it would
    otherwise stay in the process's heap through the evaluation."""
    if len(g) > 100_000 and sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass
    return g


def backward_start(p: Program) -> int:
    """Where the program's hand-written backward pass starts (len(p): none).

    The backward pass is the tail that starts at the first statement S such
    that S and every statement after it assign (=, +=, ...) a gradient
    variable (see gradient_of: dx, or CS231n's dfdx and df_dx) of a forward
    name (assigned or read by a statement before S), the variable itself not
    being one. So `den = ...` or `dot = ...` stay forward statements, and so
    does a `dx = ...` that a later forward statement reads.
    """
    names = p.name
    n = start = len(p)  # the longest tail of assignments to d-prefixed names
    while start > 0:
        name = names[start - 1]
        if not (name is not None and len(name) > 1 and name[0] == "d"):
            break
        start -= 1
    if start == n:
        return n
    known: set[str] = set()
    prefix: list[set[str]] = []  # names of the whole program up to each statement of the tail
    for k in range(n):
        if k >= start:
            prefix.append(set(known))
        known.update(name for name, _ in p.names_read(k))
        if names[k] is not None:
            known.add(names[k])
    k = max(start, 1)
    while k < n:
        forward = prefix[k - start]
        bad = next((j for j in range(k, n) if gradient_of(names[j], forward) is None), None)
        if bad is None:
            return k
        # A later start can only help when the gradient's name gets defined before `bad`.
        name = names[bad]
        k = k + 1 if gradient_of(name, prefix[bad - start]) is not None and name not in forward else bad + 1
    return n


def unread_backward(p: Program, source: Source) -> str | None:
    """Why the d-named lines at the end of p are not its hand-written
    backward pass (None if it does not end in any): the first of them whose
    name is no gradient gradcli knows."""
    names = p.name
    start = len(p)
    while start > 0 and names[start - 1] is not None and len(names[start - 1]) > 1 \
            and names[start - 1][0] == "d":
        start -= 1
    if start == len(p):
        return None
    known: set[str] = set()
    for k in range(start):
        known.update(name for name, _ in p.names_read(k))
        if names[k] is not None:
            known.add(names[k])
    first, last = source.where(p.nstart[start])[1], source.where(p.nstart[len(p) - 1])[1]
    lines = "line %d is" % first if first == last else "lines %d to %d are" % (first, last)
    for k in range(start, len(p)):
        var = names[k]
        if gradient_of(var, known) is None:
            line = source.where(p.nstart[k])[1]
            if var in known:
                why = "%s is a name of the forward pass" % var
            else:
                why = "%s names no gradient: %s is not a name of the forward pass" % (var, var[1:])
            return ("%s not read as a hand-written backward pass, since %s (line %d), so the output "
                    "is %s; name each gradient after its forward name (dx for x, or dfdx for the output "
                    "f's gradient in x)" % (lines, why, line, names[-1]))
        known.add(var)
    return None


def gradient_of(var: str, forward, outputs=None) -> str | None:
    """The forward name whose gradient the variable `var` holds, or None:
    x for dx, and in CS231n's spelling x for dfdx and df_dx, where f is one
    of `outputs` (any forward name when None). A forward name itself holds
    no gradient."""
    if len(var) < 2 or var[0] != "d" or var in forward:
        return None
    rest = var[1:]
    if rest in forward:
        return rest
    for k in range(1, len(rest) - 1):
        if rest[k] != "d":
            continue
        head, tail = rest[:k], rest[k + 1:]
        if head.endswith("_"):
            head = head[:-1]
        if head in forward and (outputs is None or head in outputs) and tail in forward:
            return tail
    return None


def _at_statement_start(rest: str, words):
    """A search for `rest` (which contains one of `words`) at the start of
    the text or after a newline or ';'. Two patterns, because a search whose
    pattern begins with a set of characters skips ahead fast, while one that
    begins with `(?:^|[\\n;])` tries every position (at a million
    operations: 0.5 s a search); none at all if no word is in the text."""
    first = re.compile(rest).match
    later = re.compile("[%s]" % "".join(syntax.SEPARATORS).replace("\n", "\\n") + rest).search
    return lambda text: any(w in text for w in words) and (first(text) or later(text)) or None


_DECLARED = r"%s*(?:%s%s+)?" % (syntax.BLANK, syntax.NAME, syntax.BLANK)  # blanks, `var `
# A statement that may assign a bare constant (`pi = 3`, `var pi = 3`), or
# something that looks like one inside a comment: finding none, the builder
# knows every bare `pi` is the constant before it has seen the whole program.
_ASSIGNS_CONSTANT = _at_statement_start(r"%s(?:%s)%s*%s" % (_DECLARED, "|".join(BARE_CONSTANTS), syntax.BLANK,
                                                             syntax.ASSIGN), BARE_CONSTANTS)
# An assignment to a d-prefixed name: the program may end in a hand-written
# backward pass, which only a program read whole can be split from.
_ASSIGNS_D_NAME = _at_statement_start(r"%sd[A-Za-z0-9_]+%s*%s" % (_DECLARED, syntax.BLANK, syntax.ASSIGN), ("d",))
