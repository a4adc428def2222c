"""--draw FILE: the circuit laid out by Graphviz, as SVG or PNG."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from gradcli.draw import layout_programs

ROOT = Path(__file__).resolve().parent.parent
NEURON = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]
SVG = "{http://www.w3.org/2000/svg}"


def programs() -> list[str]:
    """graphviz-pure always (it comes with gradcli); the system's dot where there is one (CI installs it)."""
    found = ["graphviz-pure"]
    if shutil.which("dot"):
        found.append("dot")
    else:
        assert not os.environ.get("CI"), "CI must have Graphviz: .ci/run installs it"
    return found


def gradcli(*args: str, program: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("GRADCLI_GRAPHVIZ", None)
    if program:
        env["GRADCLI_GRAPHVIZ"] = program
    return subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # well-formed XML
    return [t.text.strip() for t in root.iter(SVG + "text") if t.text and t.text.strip()]


@pytest.mark.parametrize("program", programs())
def test_the_neuron_drawn_holds_every_gate_name_and_number(program, tmp_path):
    import math
    path = tmp_path / "n.svg"
    done = gradcli(*NEURON, "--draw", str(path), program=program)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "drew the circuit of sig(a*x+b*y+c) (5 gates) in %s\n" % path
    shown = texts(path)
    # The numbers, from the math: q = a x + b y + c = 2, s = sig(q), ds/dq = s (1 - s).
    s = 1 / (1 + math.exp(-2))
    dq = s * (1 - s)
    fmt = "%.4g"
    for op in ("*", "+", "sig"):
        assert op in shown
    assert fmt % s in shown and fmt % dq in shown           # the output's value; the wire into sig carries dq back
    assert "grad %s" % (fmt % (-1 * dq)) in shown           # a's total: x * dq
    assert "grad %s" % (fmt % (2 * dq)) in shown            # y's total: b * dq
    assert "grad %s" % (fmt % (3 * dq)) in shown            # b's total: y * dq
    for value in ("1", "-1", "2", "3", "-3", "6", "5"):     # every wire's value forward
        assert value in shown
    for name in ("a", "b", "c", "x", "y"):
        assert name in shown


@pytest.mark.parametrize("program", programs())
def test_a_fork_shows_each_wires_share_and_the_node_its_total(program, tmp_path):
    path = tmp_path / "f.svg"
    assert gradcli("x*y + x", "x=2", "y=3", "--draw", str(path), program=program).returncode == 0
    root = ET.parse(path).getroot()
    edges = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "edge":
            title = g.find(SVG + "title").text
            edges[title] = [t.text for t in g.iter(SVG + "text")]
    # x*y + x at x = 2, y = 3: the wire into x*y carries y * 1 = 3, the one into + carries 1; x's total is 4.
    assert edges["n0->n2"] == ["2", "3"] and edges["n0->n3"] == ["2", "1"]
    assert "grad 4" in texts(path)


@pytest.mark.parametrize("program", programs())
def test_the_png_decodes_and_is_a_picture_of_sensible_size(program, tmp_path):
    path = tmp_path / "n.png"
    assert gradcli(*NEURON, "--draw", str(path), program=program).returncode == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert 400 <= width <= 4000 and 150 <= height <= 2000 and width > height  # inputs left, output right
    # Every chunk's CRC holds, and the image data inflates to one filter byte and the pixels of each row.
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + n
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)


def chain(n: int) -> str:
    return "\n".join(["x = 0.5", "y0 = x"] + ["y%d = sin(y%d)" % (k, k - 1) for k in range(1, n + 1)])


def test_a_big_circuit_is_refused_unless_all(tmp_path):
    path = tmp_path / "big.svg"
    program = tmp_path / "chain.py"
    program.write_text(chain(301))
    done = gradcli("-f", str(program), "--draw", str(path))
    assert done.returncode == 2 and not path.exists()
    assert "has 301 gates, too many to read in one picture (more than 300)" in done.stderr
    assert "--tree" in done.stderr and "--output" in done.stderr and "--all" in done.stderr
    done = gradcli("-f", str(program), "--draw", str(path), "--all")
    assert done.returncode == 0 and texts(path).count("sin") == 301


def test_an_input_with_many_wires_is_drawn_at_each_and_the_layout_stays_quick(tmp_path):
    # x_k = sin(x_{k-1}) * x: x feeds 150 gates across the whole circuit, which
    # Graphviz takes minutes to route as one node; drawn at each wire, it is quick.
    program = tmp_path / "fork.py"
    program.write_text("\n".join(["x = 0.5", "x1 = sin(x)"] + ["x%d = sin(x%d) * x" % (k, k - 1)
                                                            for k in range(2, 151)]))
    path = tmp_path / "fork.svg"
    done = gradcli("-f", str(program), "--draw", str(path), program="graphviz-pure")
    assert done.returncode == 0, done.stderr
    shown = texts(path)
    import json
    done = gradcli("-f", str(program), "--json", "--no-nodes")
    total = "grad %.4g" % json.loads(done.stdout)["gradients"]["x"]
    assert shown.count("x") == 150 and shown.count(total) == 150  # one copy at each wire, each with x's total


@pytest.mark.parametrize("name, message", [
    ("c.gif", "the picture's kind is read from the file's extension, .svg or .png"),
    ("", "--draw needs a file name"),
    ("-", "--draw - would mix the picture into what gradcli prints"),
])
def test_names_that_draw_nothing_are_refused(name, message, tmp_path):
    done = gradcli(*NEURON, "--draw", str(tmp_path / name) if name not in ("", "-") else name)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_several_outputs_ask_for_one(tmp_path):
    done = gradcli("a = 2; a*a; a + 1", "--draw", str(tmp_path / "c.svg"))
    assert done.returncode == 2 and "the program has 2: a*a, a + 1" in done.stderr
    assert gradcli("a = 2; f = a*a; g = a + 1", "--draw", str(tmp_path / "c.svg"), "--output", "g").returncode == 0


def test_graphviz_pure_comes_with_gradcli():
    assert any(p.endswith("graphviz-pure") for p in layout_programs())


def test_the_readme_picture_is_what_draw_makes_now(tmp_path):
    # docs/pictures.py makes it, laid out by graphviz-pure: the same bytes on every machine.
    fresh = tmp_path / "n.svg"
    assert gradcli(*NEURON, "--draw", str(fresh), program="graphviz-pure").returncode == 0
    assert fresh.read_bytes() == (ROOT / "docs" / "neuron-circuit.svg").read_bytes()
    assert "](docs/neuron-circuit.svg)" in (ROOT / "README.md").read_text()


def test_a_long_circuit_as_png_is_scaled_to_at_most_3840_pixels(tmp_path):
    program = tmp_path / "chain.py"
    program.write_text(chain(300))
    path = tmp_path / "chain.png"
    assert gradcli("-f", str(program), "--draw", str(path), program="graphviz-pure").returncode == 0
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    assert width == 3840 and 0 < height < width  # scaled down whole: a chain is long and thin
