"""Start-up of gradcli against the import floor of its own dependencies.

    python benchmarks/bench_startup.py [--runs 40]

Runs each command in turn, round-robin (so drift on a shared machine hits
all of them alike), and prints the median wall time of each and its ratio
to the floor, `python -c "import click, lark, rich.console, rich.table"`.
stdout of every command goes to a pipe, as in `gradcli ... --json | jq`.
Targets: the table at most 1.1x the floor, --json at most 0.8x.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
GRADCLI = str(Path(PY).with_name("gradcli"))
NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]
COMMANDS = [
    ("python -c pass", [PY, "-c", "pass"]),
    ("import click, lark, rich.console, rich.table", [PY, "-c", "import click, lark, rich.console, rich.table"]),
    ("gradcli NEURON (table)", [GRADCLI, *NEURON]),
    ("gradcli NEURON --json", [GRADCLI, *NEURON, "--json"]),
    ("gradcli 'a b' (syntax error, via lark)", [GRADCLI, "a b"]),
]
FLOOR = 1


# As installed for users: bytecode cached (some machines set PYTHONDONTWRITEBYTECODE,
# which would make every start compile gradcli's sources again).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    if not os.path.exists(GRADCLI):
        sys.exit("no gradcli next to %s: install gradcli into this Python first" % PY)
    times: list[list[float]] = [[] for _ in COMMANDS]
    for _ in range(3):  # warm the file cache
        for _, argv in COMMANDS:
            run_once(argv)
    for _ in range(args.runs):
        for k, (_, argv) in enumerate(COMMANDS):
            times[k].append(run_once(argv))
    medians = [statistics.median(t) for t in times]
    print("Start-up, median of %d runs each (Python %s, %d cores)\n"
          % (args.runs, sys.version.split()[0], os.cpu_count() or 0))
    print("| command | median ms | vs import floor |")
    print("|---|---:|---:|")
    for (label, _), m in zip(COMMANDS, medians):
        print("| %s | %.1f | %.2fx |" % (label, m * 1000, m / medians[FLOOR]))


if __name__ == "__main__":
    main()
