"""--html FILE, in a real browser: Debian's chromium, headless, driven by
playwright (from the test extra; .ci/run installs chromium). The page must
render from disk with no network, show every node with its numbers, show a
gate's forward and backward lines when clicked, and light the right wires
at each step of the backward pass."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def gradcli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        assert not os.environ.get("CI"), "CI must have chromium: .ci/run installs it"
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1200, "height": 900})
        yield context
        context.close()


class Page:
    """A page opened from disk, every request and script error it makes recorded."""

    def __init__(self, context, path: Path):
        self.page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(path.as_uri())

    def classes(self, name: str) -> set[str]:
        return set(self.page.eval_on_selector_all(".edge.%s" % name, "els => els.map(e => e.id)"))

    def text(self, selector: str) -> str:
        return self.page.text_content(selector) or ""


@pytest.fixture
def fork(browser, tmp_path):
    path = tmp_path / "fork.html"
    gradcli("x*y + x", "x=2", "y=3", "--html", str(path))
    page = Page(browser, path)
    yield page
    page.page.close()


def test_the_page_renders_from_disk_and_fetches_nothing(fork):
    assert fork.requests == [fork.page.url]  # the page itself, and nothing else
    assert fork.errors == []
    assert fork.page.title() == "gradcli: x*y + x = 8"
    box = fork.page.eval_on_selector("#circuit svg", "s => [s.getBBox().width, s.getBBox().height]")
    assert box[0] > 200 and box[1] > 50


def test_every_node_is_there_with_its_numbers(fork):
    nodes = json.loads(gradcli("x*y + x", "x=2", "y=3", "--json").stdout)["nodes"]
    for node in nodes:
        shown = fork.page.eval_on_selector_all("#n%d text" % node["id"], "ts => ts.map(t => t.textContent)")
        assert "grad %g" % node["grad"] in shown
    # Each wire shows the value it carries and its own share: from x, 3 into x*y (y * 1) and 1 into +.
    wires = {fork.page.eval_on_selector("#%s" % w, "g => g.querySelector('title').textContent"):
             fork.page.eval_on_selector_all("#%s text" % w, "ts => ts.map(t => t.textContent)")
             for w in ("w2_0", "w2_1", "w3_0", "w3_1", "wout")}
    assert wires == {"n0->n2": ["2", "3"], "n1->n2": ["3", "2"], "n2->n3": ["6", "1"], "n0->n3": ["2", "1"],
                     "n3->out": ["8", "1"]}


def test_clicking_a_gate_shows_its_forward_value_and_backward_lines(fork):
    explained = gradcli("x*y + x", "x=2", "y=3", "--explain").stdout.splitlines()
    fork.page.click("#n2")
    assert fork.text("#info-numbers") == "op *   value 6   grad 1"
    assert fork.text("#info-forward") == "t1 = x * y = 6   (x*y)"
    backward = fork.text("#info-backward").splitlines()
    assert "dx += y * dt1 = 3 * 1 = 3   (the wire from x into x*y; dx is 4 so far)" in backward
    assert all(line.strip() in [e.strip() for e in explained] for line in backward)
    fork.page.hover("#n1")  # y: hovering shows it too
    assert fork.text("#info-numbers") == "op input   value 3   grad 2"
    assert fork.text("#info-backward") == "dy = x * dt1 = 2 * 1 = 2"


def test_stepping_lights_each_wire_as_its_gradient_arrives(fork):
    assert fork.classes("now") == set() and fork.classes("lit") == set()
    fork.page.click("#next")  # the output's gradient, 1, starts the chain on the output wire
    assert fork.classes("now") == {"wout"} and fork.text("#step-lines") == "dt2 = 1"
    fork.page.click("#next")  # + sends 1 back down both its wires
    assert fork.classes("now") == {"w3_0", "w3_1"} and fork.classes("lit") == {"wout"}
    assert "dt1 = 1 * dt2 = 1 * 1 = 1" in fork.text("#step-lines")
    fork.page.click("#next")  # * sends y * 1 = 3 to x and x * 1 = 2 to y
    assert fork.classes("now") == {"w2_0", "w2_1"} and fork.classes("lit") == {"wout", "w3_0", "w3_1"}
    assert fork.text("#where") == "step 3 of 4"
    fork.page.click("#next")  # x forks: its gradient is the sum of its wires' shares
    assert fork.text("#step-lines") == "dx = 1 (wire into x*y + x) + 3 (wire into x*y) = 4"
    assert fork.page.is_disabled("#next")
    fork.page.keyboard.press("ArrowLeft")
    fork.page.keyboard.press("ArrowLeft")
    assert fork.classes("now") == {"w3_0", "w3_1"}
    fork.page.click("#first")
    assert fork.classes("now") == set() and fork.classes("lit") == set()


def test_a_step_run_shows_the_outputs_curve_and_the_inputs_paths(browser, tmp_path):
    path = tmp_path / "steps.html"
    out = gradcli("x*x + y*y", "x=3", "y=-2", "--step", "0.1", "--steps", "20", "--descend", "--html", str(path))
    assert out.stdout.splitlines()[0].split() == ["step", "value", "change", "predicted"]
    page = Page(browser, path)
    assert page.errors == [] and page.requests == [page.page.url]
    series = page.page.eval_on_selector_all(
        "#trace polyline", "ps => ps.map(p => [p.dataset.name, p.getAttribute('points').split(' ').length])")
    assert series == [["x*x + y*y", 21], ["x", 21], ["y", 21]]
    # The page's circuit is at the final state: x = 3 * 0.8^20 after 20 steps of x -= 0.1 * 2x.
    page.page.click("#n0")
    assert page.text("#info-numbers") == "op input   value %.4g   grad %.4g" % (3 * 0.8 ** 20, 6 * 0.8 ** 20)
    page.page.close()


def test_the_table_svg_puts_every_character_where_it_says_in_chromium(browser, tmp_path):
    # The picture's own x per character is where Chromium draws it, whatever monospace font it has.
    path = tmp_path / "t.svg"
    gradcli("sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3", "--svg", str(path))
    page = browser.new_page()
    page.goto(path.as_uri())
    gaps = page.eval_on_selector_all("text", """ts => ts.flatMap(t => {
        const xs = t.getAttribute('x').split(' ').map(Number);
        return xs.map((x, i) => Math.abs(t.getStartPositionOfChar(i).x - x));
    })""")
    assert gaps and max(gaps) < 0.01
    page.close()


def test_an_input_drawn_at_each_of_its_wires_shows_its_total_from_every_copy(browser, tmp_path):
    # x has 6 wires, so it is drawn at each; d/dx (x*x + x*x + x + x) = 4x + 2 = 10 at x = 2.
    path = tmp_path / "copies.html"
    gradcli("x*x + x*x + x + x", "x=2", "--html", str(path))
    page = Page(browser, path)
    copies = page.page.eval_on_selector_all(".node.n0", "gs => gs.map(g => g.id)")
    assert len(copies) == 6
    for copy in copies:
        page.page.hover("#" + copy)
        assert page.text("#info-numbers") == "op input   value 2   grad 10"
    assert page.errors == []
    page.page.close()


def test_a_step_run_refuses_a_folder_before_it_runs_and_keeps_its_summary_when_the_page_cannot_be_written(tmp_path):
    # --html FOLDER with --step ran every step, then failed, and the summary was lost.
    run = [sys.executable, "-m", "gradcli", "x*x", "x=3", "--step", "0.1", "--steps", "3", "--descend", "--html"]
    done = subprocess.run(run + [str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "--html %s is a folder, not a file" % tmp_path in done.stderr and "Traceback" not in done.stderr
    # A folder that does not exist is found only when the page is written: the run's summary stays.
    missing = tmp_path / "no such folder" / "run.html"
    done = subprocess.run(run + [str(missing)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    x = 3.0
    for _ in range(3):
        x -= 0.1 * 2 * x  # d x*x / dx = 2x
    assert "gradient descent of x*x" in done.stdout
    assert [line.split()[2] for line in done.stdout.splitlines() if line.startswith("x ")] == ["%.4g" % x]
    assert "cannot write %s" % missing in done.stderr and "Traceback" not in done.stderr


def test_a_step_run_says_where_it_wrote_the_page_below_its_summary(tmp_path):
    path = tmp_path / "a rather long folder name for the page" / "run.html"
    path.parent.mkdir()
    run = [sys.executable, "-m", "gradcli", "x*x", "x=3", "--step", "0.1", "--steps", "3", "--descend",
           "--html", str(path)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[-1] == "wrote the page of x*x in %s" % path
    assert path.read_text("utf-8").startswith("<!DOCTYPE html>")
    # With --json, standard output stays JSON, a line per step and the final state.
    done = subprocess.run(run + ["--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("step") for line in lines[:4]] == [0, 1, 2, 3] and lines[-1]["output"] == "x*x"
