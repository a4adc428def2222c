"""Shared helpers. GRADCLI_HYPOTHESIS_EXAMPLES scales the property tests
(default 100 per test, which keeps the suite fast on a small machine).
Under CI (CI set) the search is derandomized, so a submission's result does
not depend on the draw; anywhere else each run searches afresh."""
from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
CASES_DIR = Path(__file__).resolve().parent / "cases"

EXAMPLES = int(os.environ.get("GRADCLI_HYPOTHESIS_EXAMPLES", "100"))

# What gradcli fits to the terminal (--plot's chart) is the same under any
# terminal the tests are run from: 80 by 25, the size with none.
os.environ["COLUMNS"], os.environ["LINES"] = "80", "25"

settings.register_profile(
    "gradcli", max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile("gradcli")


GATES_DIR = EXAMPLES_DIR / "gates"


def examples() -> list[Path]:
    """Every program in gradcli's language in examples/, the tutorials' blocks
    (examples/tutorials/) included; the code with Unit and gate objects
    (examples/gates/) is gate_examples()."""
    return sorted(p for p in EXAMPLES_DIR.rglob("*")
                  if p.is_file() and p.suffix in (".py", ".js") and not p.name.startswith(".")
                  and GATES_DIR not in p.parents)


def gate_examples() -> list[Path]:
    """The programs written with Unit and gate objects, in examples/gates/."""
    return sorted(p for p in GATES_DIR.glob("*") if p.suffix in (".py", ".js"))


# An example's header says how to run it: `# Run: gradcli --verify -f examples/x.py a=1`.
_RUN = re.compile(r"^(?:#|//) Run: gradcli (.*)$", re.M)


def run_args(path: Path) -> list[str]:
    """The files and bindings an example runs with, from its header's `Run:`
    line (the mode, such as --verify, left out; paths made absolute): a
    tutorial's block may need the block before it, or inputs the tutorial
    leaves unset. With no `Run:` line, the file alone."""
    found = _RUN.search(path.read_text("utf-8"))
    if found is None:
        return ["-f", str(path)]
    words, args = found.group(1).split(), []
    while words:
        word = words.pop(0)
        if word == "-f":
            args += ["-f", str(ROOT / words.pop(0))]
        elif word == "--data":  # an array program's data: a CSV file beside it
            args += ["--data", str(ROOT / words.pop(0))]
        elif re.fullmatch(r"\w+=\S+", word):
            args.append(word)
        elif not word.startswith("--"):
            break  # the rest is prose: `(or: cat examples/cs231n.py | gradcli)`
    assert str(path) in args, "%s: its Run line does not read it" % path
    return args
