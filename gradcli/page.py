"""--html FILE: one self-contained page (no network, nothing fetched; it
works opened from disk) with the circuit as --draw lays it out, a panel
that shows a gate's forward value and its backward lines (--explain's)
when it is hovered or clicked, and a step control that walks the backward
pass gate by gate, lighting the wires each gate sends its gradient down.
For a --step run the page adds the output's curve over the steps and each
input's path.

The page is data (PageData: JSON) and one template; the circuit's SVG comes
from draw.py (ids on every node and wire), the lines from explain.py, the
shares from wires.py through them.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .draw import DRAW_SPLIT, dot, render
from .explain import Explainer, backward_steps
from .graph import CONST, INPUT
from .render import DEFAULT_PRECISION, number, op_name

if TYPE_CHECKING:
    from .engine import Result


def page_data(result: "Result", precision: int = DEFAULT_PRECISION) -> dict[str, Any]:
    """What the page shows: every node's numbers and lines, and the steps of
    the backward pass, each with the wires it lights (their SVG ids)."""
    g, values, grads = result.graph, result.values, result.grads
    used = g.reachable([result.output])
    ex = Explainer(result, precision)
    forward = {}
    for line, text in zip(ex.code.forward, ex.forward()):
        forward[line.node] = text
    nodes: dict[str, dict[str, Any]] = {}
    for i in range(result.output + 1):
        if used[i]:
            nodes["n%d" % i] = {
                "label": g.label(i), "op": op_name(result, i),
                "kind": "input" if g.kind[i] == INPUT else "constant" if g.kind[i] == CONST else "gate",
                "value": number(values[i], precision), "grad": number(grads[i], precision),
                "forward": forward.get(i, ""), "backward": []}
    steps: list[dict[str, Any]] = [{"title": "the forward pass is done: every wire holds its value",
                                    "wires": [], "lines": [], "gate": None}]
    pending: list[str] = []
    for s in backward_steps(result, precision):
        key = "n%d" % s.node
        if s.kind == "seed":
            steps.append({"title": "the output's gradient starts the chain: 1", "wires": ["wout"],
                          "lines": [s.text], "gate": "n%d" % result.output})
            nodes[key]["backward"].append(s.text)
        elif s.kind == "sum":
            pending.append(s.text)
            nodes[key]["backward"].append(s.text)
        elif s.kind == "gate":
            steps.append({"title": s.text, "wires": [], "lines": pending + ["# " + s.text], "gate": key})
            nodes[key]["backward"].append("# " + s.text)
            pending = []
        else:  # a local gradient: one wire into the gate of the step before
            assert s.wire is not None
            steps[-1]["wires"].append("w%d_%d" % (s.wire.node, s.wire.arg))
            steps[-1]["lines"].append(s.text)
            nodes["n%d" % s.wire.node]["backward"].append(s.text)
            if key in nodes:
                nodes[key]["backward"].append(s.text)
    if pending:
        steps.append({"title": "each fork's gradient: the sum of its wires' shares", "wires": [],
                      "lines": pending, "gate": None})
    return {"label": result.label, "value": number(result.value, precision), "nodes": nodes, "steps": steps}


def circuit_svg(result: "Result", precision: int = DEFAULT_PRECISION) -> str:
    """The circuit laid out by Graphviz, as an <svg> element to put in a page."""
    svg = render(dot([result], precision, ids=True, split=DRAW_SPLIT), "svg").decode("utf-8")
    return svg[svg.index("<svg"):]


def html_page(result: "Result", precision: int = DEFAULT_PRECISION,
              trace: dict[str, Any] | None = None) -> str:
    """The whole page, one string. `trace`, for a --step run: {"steps": [k...],
    "output": [value...], "inputs": {name: [value...]}}."""
    data = page_data(result, precision)
    if trace is not None:
        data["trace"] = trace
    # In a <script>, "</" would end it: JSON may write it as "<\/".
    blob = json.dumps(data).replace("</", "<\\/")
    return (TEMPLATE.replace("{{title}}", _escape("%s = %s" % (result.label, data["value"])))
            .replace("{{svg}}", circuit_svg(result, precision))
            .replace("{{data}}", blob))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>gradcli: {{title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1f2328; background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 .4em; }
.mono, pre, code { font-family: ui-monospace, monospace; }
#circuit { overflow: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: .5em; }
#circuit svg { max-width: 100%; height: auto; }
.node { cursor: pointer; }
.node.selected ellipse, .node.selected polygon { stroke: #0550ae; stroke-width: 3; }
.node.selected text { font-weight: bold; }
.edge.lit path { stroke: #c62828; stroke-width: 2; }
.edge.lit polygon { stroke: #c62828; fill: #c62828; }
.edge.now path { stroke: #e8590c; stroke-width: 4; }
.edge.now polygon { stroke: #e8590c; fill: #e8590c; }
.node.now ellipse { stroke: #e8590c; stroke-width: 4; }
#controls { margin: .8em 0; display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
button { font-size: 1em; padding: .3em .8em; }
#where { font-weight: bold; }
pre { background: #f6f8fa; padding: .6em; border-radius: 6px; white-space: pre-wrap; margin: .4em 0; }
#panels { display: flex; gap: 1.5em; flex-wrap: wrap; }
#panels > div { flex: 1 1 24em; }
.key { color: #57606a; }
#trace svg { border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
</style>
</head>
<body>
<h1 class="mono">{{title}}</h1>
<p class="key">Values flow forward along the wires (green, above each wire); gradients flow back
(red, below: each wire's own share; a node's grad is their sum). Hover or click a gate to see its
numbers; step through the backward pass to watch each gradient leave its gate and reach the next.</p>
<div id="circuit">{{svg}}</div>
<div id="controls">
<button id="first" title="back to the start">|&#x25C0; start</button>
<button id="prev" title="one step back">&#x25C0; back</button>
<button id="next" title="one step of the backward pass">next &#x25B6;</button>
<button id="last" title="to the end">end &#x25B6;|</button>
<span id="where"></span>
</div>
<div id="panels">
<div><h2>This step</h2><p id="step-title" class="mono"></p><pre id="step-lines"></pre></div>
<div id="info"><h2>The gate</h2><p class="key">Hover or click a node of the circuit.</p></div>
</div>
<div id="trace"></div>
<script id="data" type="application/json">{{data}}</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const svg = document.querySelector("#circuit svg");
let step = 0;

function nodeKey(g) {
  if (DATA.nodes[g.id]) return g.id;
  for (const c of g.classList) if (DATA.nodes[c]) return c;  // a copy of an input drawn at each wire
  return null;
}

function text(el, value) { el.textContent = value; return el; }

function showNode(key) {
  const n = DATA.nodes[key];
  if (!n) return;
  for (const g of svg.querySelectorAll(".node")) g.classList.toggle("selected", nodeKey(g) === key);
  const info = document.getElementById("info");
  info.replaceChildren();
  info.appendChild(text(document.createElement("h2"), "The " + n.kind + " " + n.label));
  const p = document.createElement("p");
  p.className = "mono";
  p.id = "info-numbers";
  p.textContent = "op " + n.op + "   value " + n.value + "   grad " + n.grad;
  info.appendChild(p);
  if (n.forward) {
    info.appendChild(text(document.createElement("h3"), "forward"));
    info.appendChild(text(Object.assign(document.createElement("pre"), {id: "info-forward"}), n.forward));
  }
  info.appendChild(text(document.createElement("h3"), "backward"));
  info.appendChild(text(Object.assign(document.createElement("pre"), {id: "info-backward"}),
                        n.backward.length ? n.backward.join("\\n") : "(no gradient flows through it)"));
}

function show(s) {
  step = Math.max(0, Math.min(DATA.steps.length - 1, s));
  const lit = new Set(), now = new Set(DATA.steps[step].wires);
  for (let t = 1; t < step; t++) for (const w of DATA.steps[t].wires) lit.add(w);
  for (const g of svg.querySelectorAll(".edge")) {
    g.classList.toggle("now", now.has(g.id));
    g.classList.toggle("lit", lit.has(g.id) && !now.has(g.id));
  }
  const gate = DATA.steps[step].gate;
  for (const g of svg.querySelectorAll(".node")) g.classList.toggle("now", gate !== null && g.id === gate);
  text(document.getElementById("where"), "step " + step + " of " + (DATA.steps.length - 1));
  text(document.getElementById("step-title"), DATA.steps[step].title);
  text(document.getElementById("step-lines"), DATA.steps[step].lines.join("\\n"));
  document.getElementById("prev").disabled = step === 0;
  document.getElementById("first").disabled = step === 0;
  document.getElementById("next").disabled = step === DATA.steps.length - 1;
  document.getElementById("last").disabled = step === DATA.steps.length - 1;
}

for (const g of svg.querySelectorAll(".node")) {
  const key = nodeKey(g);
  g.addEventListener("mouseenter", () => showNode(key));
  g.addEventListener("click", () => showNode(key));
}
document.getElementById("first").addEventListener("click", () => show(0));
document.getElementById("prev").addEventListener("click", () => show(step - 1));
document.getElementById("next").addEventListener("click", () => show(step + 1));
document.getElementById("last").addEventListener("click", () => show(DATA.steps.length - 1));
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") show(step + 1);
  if (e.key === "ArrowLeft") show(step - 1);
});

function chart(title, ks, series) {
  // One small SVG line chart: steps along x, each series its own colour.
  const NS = "http://www.w3.org/2000/svg", W = 640, H = 220, L = 70, B = 30;
  const all = Object.values(series).flat();
  let lo = Math.min(...all), hi = Math.max(...all);
  if (lo === hi) { lo -= 1; hi += 1; }
  const k0 = ks[0], k1 = Math.max(ks[ks.length - 1], k0 + 1);
  const x = k => L + (k - k0) / (k1 - k0) * (W - L - 10), y = v => 10 + (hi - v) / (hi - lo) * (H - B - 10);
  const el = (name, attrs, body) => {
    const e = document.createElementNS(NS, name);
    for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, v);
    if (body !== undefined) e.textContent = body;
    return e;
  };
  const s = el("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, "font-family": "monospace", "font-size": 11});
  s.appendChild(el("line", {x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#57606a"}));
  s.appendChild(el("line", {x1: L, y1: 10, x2: L, y2: H - B, stroke: "#57606a"}));
  s.appendChild(el("text", {x: L - 4, y: 14, "text-anchor": "end"}, String(+hi.toPrecision(4))));
  s.appendChild(el("text", {x: L - 4, y: H - B, "text-anchor": "end"}, String(+lo.toPrecision(4))));
  s.appendChild(el("text", {x: L, y: H - 8}, "step " + k0));
  s.appendChild(el("text", {x: W - 10, y: H - 8, "text-anchor": "end"}, String(k1)));
  const colours = ["#c62828", "#0550ae", "#1a7f37", "#8250df", "#9a6700", "#1b7c83"];
  let c = 0;
  for (const [name, vs] of Object.entries(series)) {
    const colour = colours[c++ % colours.length];
    s.appendChild(el("polyline", {fill: "none", stroke: colour, "stroke-width": 2, class: "series",
                                  "data-name": name, points: vs.map((v, i) => x(ks[i]) + "," + y(v)).join(" ")}));
    s.appendChild(el("text", {x: W - 12, y: 14 + 13 * c, "text-anchor": "end", fill: colour}, name));
  }
  const box = document.createElement("div");
  box.appendChild(text(document.createElement("h3"), title));
  box.appendChild(s);
  return box;
}

if (DATA.trace) {
  const t = DATA.trace, box = document.getElementById("trace");
  box.appendChild(text(document.createElement("h2"), "Over the steps"));
  box.appendChild(chart(DATA.label + " over the steps", t.steps, {[DATA.label]: t.output}));
  box.appendChild(chart("the inputs' paths", t.steps, t.inputs));
}
show(0);
</script>
</body>
</html>
"""
