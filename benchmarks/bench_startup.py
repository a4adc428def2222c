"""Start-up of gradcli against the import floor of its own dependencies.

    python benchmarks/bench_startup.py [--runs 40]

Runs each command in turn, round-robin (so drift on a shared machine hits
all of them alike), and prints the median CPU time (user + system, the
operating system's account of the finished child) and wall time of each,
and the CPU ratio to the floor, `python -c "import click, lark, rich.console,
rich.table"` (what printing a table with the design's libraries takes), and
to the bare `python -c "import click, lark, rich"`.
stdout of every command goes to a pipe, as in `gradcli ... --json | jq`.
Targets: the table at most 1.0x the floor, --json at most 0.6x. The first
run after install, before Python has written gradcli's bytecode, is shown
too: gradcli's sources copied to a temporary directory and run with
`python -B` (which never writes bytecode), so every run compiles them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
GRADCLI = str(Path(PY).with_name("gradcli"))
NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]
COMMANDS = [
    ("python -c pass", [PY, "-c", "pass"]),
    ("import click, lark, rich.console, rich.table", [PY, "-c", "import click, lark, rich.console, rich.table"]),
    ("import click, lark, rich", [PY, "-c", "import click, lark, rich"]),
    ("gradcli NEURON (table)", [GRADCLI, *NEURON]),
    ("gradcli NEURON --json", [GRADCLI, *NEURON, "--json"]),
    ("gradcli 'a b' (syntax error, via lark)", [GRADCLI, "a b"]),
]
FLOOR, BARE = 1, 2
TARGETS = {"gradcli NEURON (table)": 1.0, "gradcli NEURON --json": 0.6}


# As installed for users: bytecode cached (some machines set PYTHONDONTWRITEBYTECODE,
# which would make every start compile gradcli's sources again).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of argv, its output piped."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.read()  # a few lines: stderr cannot fill its pipe meanwhile
    child.stderr.read()
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped here, not by Popen
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    if not os.path.exists(GRADCLI):
        sys.exit("no gradcli next to %s: install gradcli into this Python first" % PY)
    import gradcli
    fresh = tempfile.mkdtemp()
    try:
        shutil.copytree(os.path.dirname(gradcli.__file__), os.path.join(fresh, "gradcli"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        cold = "import sys; sys.path.insert(0, %r); from gradcli.cli import run; sys.argv[0] = 'gradcli'; run()" % fresh
        commands = COMMANDS + [
            ("gradcli NEURON (table), no bytecode yet", [PY, "-B", "-c", cold, *NEURON]),
            ("gradcli NEURON --json, no bytecode yet", [PY, "-B", "-c", cold, *NEURON, "--json"])]
        cpu: list[list[float]] = [[] for _ in commands]
        wall: list[list[float]] = [[] for _ in commands]
        for _ in range(3):  # warm the file cache
            for _, argv in commands:
                run_once(argv)
        for _ in range(args.runs):
            for k, (_, argv) in enumerate(commands):
                c, w = run_once(argv)
                cpu[k].append(c)
                wall[k].append(w)
    finally:
        shutil.rmtree(fresh)
    medians = [statistics.median(t) for t in cpu]
    walls = [statistics.median(t) for t in wall]
    print("Start-up, median of %d interleaved runs each (Python %s, %d cores, load %.1f)\n"
          % (args.runs, sys.version.split()[0], os.cpu_count() or 0, os.getloadavg()[0]))
    print("| command | CPU ms | wall ms | vs import floor (CPU) | vs bare import click, lark, rich |")
    print("|---|---:|---:|---:|---:|")
    for (label, _), m, w in zip(commands, medians, walls):
        print("| %s | %.1f | %.1f | %.2fx | %.2fx |" % (label, m * 1000, w * 1000, m / medians[FLOOR],
                                                      m / medians[BARE]))
    print()
    for (label, _), m in zip(commands, medians):
        if label in TARGETS:
            ratio = m / medians[FLOOR]
            print("target: %s at most %.1fx the import floor: %.2fx (%s); %.2fx the bare import"
                  % (label, TARGETS[label], ratio, "met" if ratio <= TARGETS[label] else "NOT met",
                     m / medians[BARE]))


if __name__ == "__main__":
    main()
