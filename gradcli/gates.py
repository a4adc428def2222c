"""The front door's road for code written with Unit and gate objects.

`language` tells such code from gradcli's own language by what it
contains (a class or prototype, and a forward method or a Unit's value and
grad), and the file's name when it has one; `read` has the language's reader parse it (pygates.py: Python's `ast`;
jsgates.py: tree-sitter's JavaScript grammar) and circuit.py walk it into
a flat program and a Circuit. Nothing here runs the code.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from .circuit import Circuit
    from .errors import Source

# A Python class (`class Unit:`, also unindented, as code loses it in copying).
_PYTHON = re.compile(r"^[ \t]*class[ \t]+[A-Za-z_]\w*[ \t]*(?:\([^)\n]*\))?[ \t]*:", re.M)
# A prototype, an ES6 class, or a constructor function that sets this.value.
_JS = re.compile(r"\.prototype\b|^[ \t]*class[ \t]+[A-Za-z_]\w*[^\n{]*\{|\bfunction\b[^\n{]*\{[^}]*\bthis\.value\b", re.M)
MAX_CHARS = 1 << 20  # a circuit of gates is a page or two; gradcli's language reads the big programs


def language(source: "Source") -> str | None:
    """"python" or "js" for Unit-and-gate code, None for gradcli's language."""
    text = source.text
    if "class" not in text and "prototype" not in text and "this.value" not in text:
        return None
    # A class and what a circuit does with it (a gate's forward, a Unit's value and grad): a
    # line or two pasted from the tutorial (class Unit:) gets the language's advice instead.
    if "forward" not in text and not (".value" in text and ".grad" in text):
        return None
    head = text[:MAX_CHARS]
    python, js = _code(_PYTHON, head), _code(_JS, head)
    if python and js:
        return "js" if source.name.endswith((".js", ".mjs")) else "python"
    return "python" if python else "js" if js else None


def _code(pattern: "re.Pattern[str]", text: str) -> bool:
    """A match of `pattern` outside a comment (`# class Unit:` is prose)."""
    for m in pattern.finditer(text):
        line = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
        if "#" not in line and "//" not in line:
            return True
    return False


def read(source: "Source", bindings: Mapping[str, float], lang: str) -> "Circuit":
    """The circuit of Unit-and-gate code; ParseError or ProgramError if it is not one."""
    from .circuit import read_circuit
    from .errors import InputError
    if len(source.text) > MAX_CHARS:
        raise InputError("Unit-and-gate code of %d characters: gradcli reads such circuits up to %d"
                         % (len(source.text), MAX_CHARS), hint="write a big computation in gradcli's own language")
    if lang == "python":
        from .pygates import read_tree
    else:
        from .jsgates import read_tree
    return read_circuit(read_tree(source), source, lang, bindings)
