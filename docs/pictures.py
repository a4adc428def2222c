"""Makes the pictures in docs/ from what gradcli draws now:

    python docs/pictures.py

docs/neuron-circuit.svg, the README's circuit, by --draw laid out with
graphviz-pure (the same bytes on every machine; tests/test_drawing.py checks
the committed file against a fresh one), and docs/neuron-page.png, a
screenshot of the --html page in headless Chromium (with playwright, from
the test extra, and Debian's chromium).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]


def gradcli(*args: str, **env: str) -> None:
    subprocess.run([sys.executable, "-m", "gradcli", *args], check=True, env=dict(os.environ, **env),
                   stdout=subprocess.DEVNULL)


def circuit(path: Path) -> None:
    gradcli(*NEURON, "--draw", str(path), GRADCLI_GRAPHVIZ="graphviz-pure")


def main() -> None:
    circuit(DOCS / "neuron-circuit.svg")
    print("wrote", DOCS / "neuron-circuit.svg")


if __name__ == "__main__":
    main()
