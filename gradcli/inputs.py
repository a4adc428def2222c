"""The command line's words, below click: the program and the bindings they
give (and the files and standard input they name), and running a mode with
them. Both roads through the command line end here: click's (command.py)
and the plain one that cli.py reads itself.
"""
from __future__ import annotations

import re
import sys

from . import syntax
from .console import FLAGS, INTERRUPTED
from .errors import GradcliError, InputError, Source, StepByHand
from .modes import HANDLERS, Mode, Options

# A binding is NAME=VALUE: a name and a signed number as the language writes them.
_NUMBER = syntax.SIGNED_NUMBER
_BINDING = re.compile(r"\s*(%s)\s*=\s*(%s)\s*\Z" % (syntax.NAME, _NUMBER))
_BINDING_NAME = re.compile(r"\s*(%s)\s*=(?!=)" % syntax.NAME)
_DECIMAL_COMMA = r"[-+]?\d+,\d+"  # 1,5: compiled only for a binding that fails


_LIST_TOKEN = r"\s*(?:(\[)|(\])|(,)|(%s))" % _NUMBER  # compiled only for a list


def parse_list(name: str, raw: str) -> object:
    """`[[1, 2], [3, 4]]` -> a numpy array, or an InputError saying what is wrong."""
    stack: list[list] = []
    top: list | None = None
    pos, want_value = 0, True
    text = raw.strip()
    token = re.compile(_LIST_TOKEN).match
    hint = "write a list of numbers, as in %s=[1,-2.5] or %s=[[1,2],[3,4]] (quoted for the shell)" % (name, name)
    while pos < len(text):
        m = token(text, pos)
        if m is None or (top is None and not m.group(1)):
            raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
        pos = m.end()
        if m.group(1):
            if not want_value:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            new: list = []
            if top is not None:
                top.append(new)
                stack.append(top)
            top = new
        elif m.group(2):
            if top is None:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            if stack:
                top = stack.pop()
            else:
                if text[pos:].strip():
                    raise InputError("the value of %s has more after its list: %r" % (name, raw), hint=hint)
                break
            want_value = False
        elif m.group(3):
            if want_value:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            want_value = True
        else:
            if not want_value or top is None:
                raise InputError("the value of %s is not a list of numbers: %r" % (name, raw), hint=hint)
            top.append(float(m.group(4)))
            want_value = False
    else:
        raise InputError("the value of %s is not a closed list: %r" % (name, raw), hint=hint + "; add ']'")
    from .api import _array
    return _array(name, top)


def parse_binding(word: str) -> tuple[str, float]:
    """`x=3` -> ("x", 3.0), or an InputError saying how to write it."""
    named = _BINDING_NAME.match(word)
    if named and word[named.end():].lstrip().startswith("["):
        return named.group(1), parse_list(named.group(1), word[named.end():])  # type: ignore[return-value]
    m = _BINDING.match(word)
    if m:
        value = float(m.group(2))
        if value in (float("inf"), float("-inf")):
            raise InputError("the value of %s is too large for double precision" % m.group(1),
                             hint="values must lie between -1.8e308 and 1.8e308")
        return m.group(1), value
    named = _BINDING_NAME.match(word)
    if named:
        raw = word[named.end():].strip()
        hint = ("write a decimal number, as in %s=3, %s=-1.5 or %s=2e-3 "
                "(no hex, no underscores, no inf or nan)" % ((named.group(1),) * 3))
        if re.fullmatch(_DECIMAL_COMMA, raw):  # 1,5: a decimal comma
            hint = "write the decimal point as '.': %s=%s" % (named.group(1), raw.replace(",", "."))
        elif re.match(r"[A-Za-z_][\w.]*\s*\(", raw):  # randn(3), np.zeros((2, 2)): an expression
            hint = ("a binding is a number or a list, as in %s=3 or %s=[1,2]; an expression such as %s "
                    "goes in the program: %s = %s" % (named.group(1), named.group(1), raw, named.group(1), raw))
        raise InputError("the value of %s is not a number: %r" % (named.group(1), raw), hint=hint)
    raise InputError("expected NAME=VALUE, got %r" % word,
                     hint="write bindings without spaces around '=', as in x=3")


_TIGHT_BINDING = re.compile(r"%s=(?:%s\Z|\[)" % (syntax.NAME, _NUMBER))


def looks_like_binding(word: str) -> bool:
    """`x=3` is a binding; `"x = 3"`, with spaces, is a one-line program."""
    return _TIGHT_BINDING.match(word) is not None


def read_file(path: str) -> str:
    if path == "-":
        return read_stdin()
    from .frontend import read_bytes
    try:
        with open(path, "rb") as f:
            data = read_bytes(f.read)
    except FileNotFoundError:
        raise InputError("no such file: %s" % path, hint="check the path given to -f") from None
    except IsADirectoryError:
        raise InputError("%s is a directory, not a program file" % path) from None
    except OSError as e:
        raise InputError("cannot read %s: %s" % (path, e.strerror or e)) from None
    return decode(data, path)


def read_stdin() -> str:
    from .frontend import read_bytes
    if sys.stdin is None:
        raise InputError("standard input is closed, so there is no program to read")
    try:
        data = read_bytes(sys.stdin.buffer.read)
    except OSError as e:
        raise InputError("cannot read standard input: %s" % (e.strerror or e)) from None
    return decode(data, "<stdin>")


def decode(data: bytes, name: str) -> str:
    """The text of a file or standard input. A lone carriage return (old Mac
    files, some pastes) ends a line, as in every editor: it becomes a line
    feed, one character for one, so every position stays where it was."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError("%s is not UTF-8 text (byte 0x%02x at line %d, column %d)"
                         % (name, data[e.start], line, col),
                         hint="save the program as UTF-8") from None
    return _LONE_CR.sub("\n", text) if "\r" in text else text


_LONE_CR = re.compile(r"\r(?!\n)")


USAGE_HINT = ('gradcli EXPR [NAME=VALUE ...], as in: gradcli "x*y" x=2 y=3; '
              "or gradcli -f FILE; or pipe a program into gradcli")


def read_data(path: str) -> dict[str, object]:
    """The columns of a CSV file with a header of names, each as a vector, or
    an InputError that gives the line and column of what is wrong."""
    import csv
    import io
    text = read_file(path)
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("%s is empty: --data needs a header of names and rows of numbers" % path)
    header = [cell.strip() for cell in rows[0]]
    for k, name in enumerate(header):
        if not re.fullmatch(syntax.NAME, name):
            if re.fullmatch(_NUMBER, name):
                raise InputError("%s has no header: line 1 holds numbers, not the columns' names" % path,
                                 hint="add a first line of names, as in x0,x1,y")
            raise InputError("%s line 1, column %d: %r is not a name" % (path, k + 1, name),
                             hint="name each column as a program names its inputs: letters, digits and _")
    columns: list[list[float]] = [[] for _ in header]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError("%s line %d has %d values, but the header names %d columns"
                             % (path, line, len(row), len(header)))
        for k, cell in enumerate(row):
            if not re.fullmatch(r"\s*%s\s*" % _NUMBER, cell):
                raise InputError("%s line %d, column %d (%s): %r is not a number" % (path, line, k + 1, header[k], cell),
                                 hint="write decimal numbers, as in 1.5 or -2e-3")
            columns[k].append(float(cell))
    if len(rows) < 2:
        raise InputError("%s has a header but no rows of numbers" % path)
    from .api import _array
    return {name: _array(name, col) for name, col in zip(header, columns)}


def gather(words: tuple[str, ...], files: tuple[str, ...],
           interactive: bool = False, data: str | None = None) -> tuple[Source | None, dict[str, float]]:
    """(the program, command-line bindings). Files are joined into one Source
    that still reports errors by file and line. In a session the program is
    optional and standard input is left to the session."""
    rest = list(words)
    source: Source | None = None
    if interactive and sys.stdin is None:
        raise InputError("standard input is closed, and a session reads its lines from it")
    if files:
        source = Source.join((f if f != "-" else "<stdin>", read_file(f)) for f in files)
    elif rest and not looks_like_binding(rest[0]):
        text = rest.pop(0)
        source = Source(read_stdin(), "<stdin>") if text == "-" else Source(text, "<expr>")
    elif interactive:
        pass
    else:
        text = read_stdin() if sys.stdin is not None and not sys.stdin.isatty() else ""
        if not text.strip():
            piped = sys.stdin is not None and not sys.stdin.isatty()
            raise InputError("no program given (standard input is empty)" if piped else "no program given",
                             hint=USAGE_HINT)
        source = Source(text, "<stdin>")
    bindings: dict[str, float] = {}
    if data is not None:
        bindings.update(read_data(data))  # type: ignore[arg-type]
    for word in rest:
        key, value = parse_binding(word)
        bindings[key] = value  # the last binding of a name wins
    return source, bindings


def wants_session(words: tuple[str, ...], files: tuple[str, ...]) -> bool:
    """No program anywhere and a person at the keyboard: open a session."""
    has_program = bool(files) or bool(words and not looks_like_binding(words[0]))
    return not has_program and sys.stdin is not None and sys.stdin.isatty()


def execute(mode: Mode, params: dict) -> None:
    """Run the mode with the options' values (click's parameter names); exit
    with its code, or print the library's error in the command line's words
    and exit with the error's."""
    bindings: dict[str, float] = {}
    try:
        source, bindings = gather(params["words"], params["files"], interactive=mode.name == "session",
                                  data=params["data"])
        code = HANDLERS[mode.name].run(source, bindings, Options(**params))
    except GradcliError as e:
        if isinstance(e, StepByHand):  # its step size may be bound here: step_size=0.01
            e = e.bound(bindings)
        sys.stderr.write(e.render(FLAGS) + "\n")
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # before click can say "Aborted!" and exit 1
        sys.exit(INTERRUPTED)
    sys.exit(code)
