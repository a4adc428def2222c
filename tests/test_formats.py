"""--format csv|tsv|markdown|json|table and --svg, as a user sees them.

CSV and TSV are read back with the csv module and compared with the JSON
output and with values computed here by hand."""
import csv
import io
import json
import math
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import main

from . import docs

ROOT = Path(__file__).resolve().parent.parent
NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]


def run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def test_csv_reads_back_to_the_json_numbers_at_full_precision():
    code, out = run(*NEURON, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    code, js = run(*NEURON, "--json")
    nodes = json.loads(js)["nodes"]
    assert [r["node"] for r in rows] == [n["label"] for n in nodes]
    assert [r["op"] for r in rows] == [n["op"] for n in nodes]
    assert [float(r["value"]) for r in rows] == [n["value"] for n in nodes]
    assert [float(r["grad"]) for r in rows] == [n["grad"] for n in nodes]
    s = 1 / (1 + math.exp(-2))
    assert float(rows[-1]["value"]) == s
    assert float(rows[0]["grad"]) == pytest.approx(-1 * s * (1 - s), rel=1e-15)  # d/da = x*s*(1-s)
    assert {r["output"] for r in rows} == {"sig(a*x+b*y+c)"}


def test_tsv_is_the_csv_with_tabs():
    _, c = run(*NEURON, "--format", "csv")
    _, t = run(*NEURON, "--format", "tsv")
    assert list(csv.reader(io.StringIO(c))) == list(csv.reader(io.StringIO(t), delimiter="\t"))
    assert t.splitlines()[0] == "output\tnode\top\tvalue\tgrad"


def test_csv_quotes_labels_with_commas_and_leaves_constant_grads_empty():
    code, out = run("max(x, 2) + 1", "x=3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["node"] for r in rows] == ["x", "2", "max(x, 2)", "1", "max(x, 2) + 1"]
    assert '"max(x, 2)"' in out
    assert [r["grad"] for r in rows] == ["1.0", "", "1.0", "", "1.0"]


def test_csv_of_several_outputs_says_which_output_each_row_belongs_to():
    _, out = run("q = x*y; q + 1; q*q", "x=2", "y=3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["output"] for r in rows if r["node"] == "q"] == ["q + 1", "q*q"]
    assert [float(r["grad"]) for r in rows if r["node"] == "x"] == [3.0, 2 * 6 * 3]


def test_markdown_is_a_table_with_the_tables_numbers():
    code, out = run(*NEURON, "--format", "markdown", "--precision", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "output `sig(a*x+b*y+c)` = 0.881"
    assert lines[2:4] == ["| node | op | value | grad |", "| --- | --- | ---: | ---: |"]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[4:]]
    assert rows[0] == ["`a`", "input", "1", "-0.105"]
    assert rows[-1] == ["`sig(a*x+b*y+c)`", "sig", "0.881", "1"]
    assert len(rows) == 10


def test_json_shorthand_is_format_json():
    assert run(*NEURON, "--json") == run(*NEURON, "--format", "json")


def test_format_table_is_the_default():
    assert run(*NEURON) == run(*NEURON, "--format", "table")


def test_unknown_format_is_a_usage_error():
    code, out = run(*NEURON, "--format", "xml")
    assert code == 2 and "'xml' is not one of" in out


def svg_text(svg: str) -> str:
    """The text an SVG made by rich shows, row by row."""
    return "".join(unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)).replace("\xa0", " ")


def test_svg_holds_the_table_and_stdout_still_gets_it(tmp_path):
    path = tmp_path / "t.svg"
    code, out = run(*NEURON, "--svg", str(path))
    assert code == 0 and "0.8808" in out
    svg = path.read_text()
    assert svg.startswith("<svg")
    text = svg_text(svg)
    for number in ("0.8808", "-0.105", "0.315", "0.21"):
        assert number in text


def test_svg_to_a_place_that_cannot_be_written_is_an_input_error(tmp_path):
    code, out = run(*NEURON, "--svg", str(tmp_path / "no" / "such" / "dir.svg"))
    assert code == 2 and "cannot write" in out


def test_the_picture_in_the_docs_is_what_gradcli_draws_now(tmp_path):
    # docs/neuron.svg is made by: gradcli -f examples/neuron.js --svg docs/neuron.svg
    fresh = tmp_path / "neuron.svg"
    subprocess.run([sys.executable, "-m", "gradcli", "-f", str(ROOT / "examples" / "neuron.js"),
                    "--svg", str(fresh)], check=True, capture_output=True)
    committed = (ROOT / "docs" / "neuron.svg").read_text()
    assert svg_text(fresh.read_text()) == svg_text(committed)
    text = svg_text(committed)
    for number in ("0.8808", "-0.105", "0.315", "0.105", "0.21"):
        assert number in text
    # ... and a page of the documentation shows it
    shown = {(p.parent / target).resolve() for p in docs.pages()
             for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", docs.prose(p))}
    assert ROOT / "docs" / "neuron.svg" in shown


def test_svg_is_xml_with_no_web_font_and_every_character_at_its_column(tmp_path):
    import xml.etree.ElementTree as ET

    from gradcli.formats import CELL_WIDTH, MARGIN
    path = tmp_path / "t.svg"
    code, out = run(*NEURON, "--svg", str(path))
    assert code == 0
    svg = path.read_text()
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    # Nothing to fetch: no font file, no stylesheet, no link; a generic family.
    assert "@font-face" not in svg and "url(" not in svg and "@import" not in svg and "<style" not in svg
    assert svg.count("http") == 1  # the SVG namespace, never fetched
    (group,) = root.iter(ns + "g")
    assert group.get("font-family") == "monospace"
    # Each character has its own x, on the grid of columns: no font's metrics move it.
    rows: dict[float, list[tuple[int, str]]] = {}
    for t in root.iter(ns + "text"):
        xs = [float(x) for x in t.get("x").split()]
        assert len(xs) == len(t.text)
        cols = [(x - MARGIN) / CELL_WIDTH for x in xs]
        assert all(abs(c - round(c)) < 1e-6 for c in cols)
        assert [round(c) for c in cols] == list(range(round(cols[0]), round(cols[0]) + len(xs)))
        rows.setdefault(float(t.get("y")), []).append((round(cols[0]), t.text))
    # The rows of the picture are the lines gradcli printed, column for column.
    printed = [line for line in out.splitlines() if line.strip()]
    drawn = []
    for y in sorted(rows):
        line = ""
        for col, text in sorted(rows[y]):
            line = line.ljust(col) + text
        drawn.append(line)
    assert drawn == [line.rstrip() for line in printed]
