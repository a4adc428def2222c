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


def page_screenshot(path: Path) -> None:
    """The neuron's --html page, three steps into the backward pass, its first + gate clicked."""
    import tempfile

    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "neuron.html"
        gradcli(*NEURON, "--html", str(page_file), GRADCLI_GRAPHVIZ="graphviz-pure")
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"), executable_path="/usr/bin/chromium", headless=True,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                viewport={"width": 1100, "height": 760})
            page = context.new_page()
            page.goto(page_file.as_uri())
            for _ in range(3):
                page.click("#next")
            page.click("#n6")
            page.screenshot(path=str(path))
            context.close()


def main() -> None:
    circuit(DOCS / "neuron-circuit.svg")
    print("wrote", DOCS / "neuron-circuit.svg")
    page_screenshot(DOCS / "neuron-page.png")
    print("wrote", DOCS / "neuron-page.png")


if __name__ == "__main__":
    main()
