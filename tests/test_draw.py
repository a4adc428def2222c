"""--dot and --tree: the circuit with values and gradients on its wires."""
from io import StringIO

from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli.cli import main
from gradcli.draw import dot, tree

from . import dotlang
from .conftest import examples, run_args

NEURON = ("var ax = a*x; var by = b*y; var axpby = ax + by; var axpbypc = axpby + c; var s = sig(axpbypc)",
          dict(a=1, b=2, c=-3, x=-1, y=3))


def text(renderable) -> str:
    out = StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def wire(value, grad):
    return '[label=<<font color="#2e7d32">%s</font><br/><font color="#c62828">%s</font>>]' % (value, grad)


def edges(graph):
    """(tail label, head label, value, share) of every wire, as drawn."""
    def name(n):
        label = graph.nodes[n].get("label")
        return label.lines()[0] if isinstance(label, dotlang.Html) else label
    return [(name(t), name(h), a["label"].green()[0], a["label"].red()[0]) for t, h, a in graph.edges]


def totals(graph):
    """The node's text (`x`, `* c`) -> the gradient written on it (None where there is none)."""
    out = {}
    for n, attrs in graph.nodes.items():
        label = attrs["label"]
        if isinstance(label, dotlang.Html):
            red = label.red()
            out[" ".join(line for line in label.lines() if not line.startswith("grad "))] = (
                red[0].removeprefix("grad ") if red else None)
    return out


def test_dot_neuron_wires_carry_value_and_gradient():
    out = dot(gradcli.evaluate(*NEURON))
    assert out.startswith("digraph circuit {") and out.rstrip().endswith("}")
    (graph,) = dotlang.parse(out)
    gates = [attrs["label"].lines()[:2] for attrs in graph.nodes.values() if attrs.get("shape") == "circle"]
    assert gates == [["*", "ax"], ["*", "by"], ["+", "axpby"], ["+", "axpbypc"], ["sig", "s"]]
    assert totals(graph)["x"] == "0.105" and totals(graph)["b"] == "0.315" and totals(graph)["sig s"] == "1"
    # The tutorial's numbers: x carries -1 forward and 0.105 back; b carries 2 and 0.315.
    assert "n1 -> n2 %s;" % wire(-1, 0.105) in out
    assert "n3 -> n5 %s;" % wire(2, 0.315) in out
    assert "-> out %s;" % wire(0.8808, 1) in out
    assert out.count("->") == 10  # 2+2+2+2+1 gate inputs, and the output wire


def test_dot_one_graph_per_output():
    out = dot(gradcli.evaluate("a = 2; a*a; a + 1"))
    first, second = dotlang.parse(out)
    assert (first.name, second.name) == ("circuit", "circuit_2")
    # a*a: each wire from a carries its own share, a * 1 = 2; a's gradient is their sum, 4.
    assert out.count("n0 -> n1 %s;" % wire(2, 2)) == 2
    assert totals(first)["a"] == "4" and totals(second)["a"] == "1"


def test_dot_fork_shows_each_wires_share_and_the_sum_on_the_node():
    (graph,) = dotlang.parse(dot(gradcli.evaluate("x*y + x", dict(x=2, y=3))))
    assert edges(graph) == [("x", "*", "2", "3"), ("y", "*", "3", "2"), ("*", "+", "6", "1"),
                            ("x", "+", "2", "1"), ("+", "x*y + x", "8", "1")]
    assert totals(graph) == {"x": "4", "y": "2", "*": "1", "+": "1"}
    assert "each wire carries its own share" in "".join(graph.attrs["label"].element.itertext())


def test_dot_a_times_a_at_one_and_a_half():
    (graph,) = dotlang.parse(dot(gradcli.evaluate("a*a", dict(a=1.5))))
    assert edges(graph) == [("a", "*", "1.5", "1.5"), ("a", "*", "1.5", "1.5"), ("*", "a*a", "2.25", "1")]
    assert totals(graph)["a"] == "3"


def test_dot_constants_and_constant_gates_carry_no_share():
    (graph,) = dotlang.parse(dot(gradcli.evaluate("c = 2*3; c*x + c", dict(x=1))))
    # c = 2*3 feeds c*x and + c; x feeds c*x.
    assert edges(graph) == [("2", "*", "2", "-"), ("3", "*", "3", "-"), ("*", "*", "6", "-"), ("x", "*", "1", "6"),
                            ("*", "+", "6", "1"), ("*", "+", "6", "-"), ("+", "c*x + c", "12", "1")]
    assert totals(graph) == {"x": "6", "* c": None, "*": "1", "+": "1"}  # c = 2*3 needs no gradient


def test_dot_of_every_example_is_valid_and_its_shares_add_up():
    from pathlib import Path
    from gradcli.errors import Source
    for path in examples():
        args = run_args(path)
        if "--data" in args:  # an array program (--dot refuses arrays: tests/test_arrays.py)
            continue
        files = [args[k + 1] for k, a in enumerate(args) if a == "-f"]
        bindings = dict(a.split("=") for a in args if "=" in a)
        source = Source.join((f, Path(f).read_text("utf-8")) for f in files)
        results = gradcli.evaluate(source, {k: float(v) for k, v in bindings.items()})
        if results[0].graph.arrays:
            continue
        graphs = dotlang.parse(dot(results, precision=17))
        assert len(graphs) == len(results), path
        for r, graph in zip(results, graphs):
            # Each node's gradient is the sum of the shares on the wires leaving it.
            sums: dict = {}
            for tail, head, attrs in graph.edges:
                share = attrs["label"].red()[0]
                if head != "out" and share != "-":
                    sums[tail] = sums.get(tail, 0.0) + float(share)
            for n, total in sums.items():
                assert abs(total - r.grads[int(n[1:])]) <= 1e-12 * max(1.0, abs(total)), (path, n)


def test_tree_shows_a_reused_node_once():
    (r,) = gradcli.evaluate("q = a*x + x*y; f = sig(q)*q", dict(a=1, x=-1, y=3))
    out = text(tree(r))
    assert out.splitlines()[0] == "f  *  value -0.07194  grad 1"
    assert out.count("q  +  value -4  grad -0.05266") == 2
    assert out.count("shown above)") == 2  # q the second time, and x in x*y
    assert out.index("a*x  *") < out.index("q  +  value -4  grad -0.05266  (this wire: 0.01799; shown above)")
    # q forks: into sig(q) it carries sig'(q) * dsig = s (1 - s) * q, into * it carries sig(q).
    assert "q  +  value -4  grad -0.05266  (this wire: -0.07065)" in out
    assert "a  input  value 1  grad 0.05266\n" in out  # one wire: no note


def test_tree_x_times_y_plus_x_shows_both_shares_and_the_total():
    out = text(tree(gradcli.grad("x*y + x", x=2, y=3)))
    assert out.splitlines() == [
        "x*y + x  +  value 8  grad 1",
        "├── x*y  *  value 6  grad 1",
        "│   ├── x  input  value 2  grad 4  (this wire: 3)",
        "│   └── y  input  value 3  grad 2",
        "└── x  input  value 2  grad 4  (this wire: 1; shown above)"]


def test_tree_a_times_a_at_one_and_a_half():
    out = text(tree(gradcli.grad("a*a", a=1.5)))
    assert out.splitlines() == [
        "a*a  *  value 2.25  grad 1",
        "├── a  input  value 1.5  grad 3  (this wire: 1.5)",
        "└── a  input  value 1.5  grad 3  (this wire: 1.5; shown above)"]


def test_tree_constants_carry_no_share():
    out = text(tree(gradcli.grad("c = 2*3; c*x + c + x", x=1)))
    assert "c  *  value 6  grad -\n" in out and "c  *  value 6  grad -  (shown above)" in out
    assert "x  input  value 1  grad 7  (this wire: 6)" in out and "x  input  value 1  grad 7  (this wire: 1" in out


def test_deep_graphs_do_not_recurse():
    src = "x0 = x\n" + "\n".join("x%d = x%d + 1" % (k + 1, k) for k in range(2000))
    (r,) = gradcli.evaluate(src, dict(x=1))
    out = dot([r])
    assert out.count("->") == 2 * 2000 + 1
    t = tree(r)
    depth, node = 0, t
    while node.children:
        node = node.children[-1] if node.children[-1].children else node.children[0]
        depth += 1
    assert depth == 2000


def test_cli_dot_and_tree():
    res = CliRunner().invoke(main, ["-f", "examples/neuron.js", "--dot"])
    assert res.exit_code == 0 and res.output.startswith("digraph circuit {")
    res = CliRunner().invoke(main, ["x*x + y", "x=3", "y=1", "--tree"])
    assert res.exit_code == 0
    assert res.output.splitlines()[0] == "x*x + y  +  value 10  grad 1"
    assert "x  input  value 3  grad 6  (this wire: 3; shown above)" in res.output
    res = CliRunner().invoke(main, ["x", "x=1", "--tree", "--dot"])
    assert res.exit_code == 2 and "choose one of --dot, --tree" in res.output


def test_graphviz_reads_it():
    # .ci/run installs Graphviz; elsewhere, without it, tests/dotlang.py checks the structure.
    import os
    import shutil
    import subprocess

    import pytest
    if shutil.which("dot") is None:
        assert not os.environ.get("CI"), "CI must have Graphviz: .ci/run installs it"
        pytest.skip("graphviz is not installed; tests/dotlang.py checks the structure instead")
    out = dot(gradcli.evaluate("x*y + x; a*a", dict(x=2, y=3, a=1.5)))
    done = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True)
    assert done.returncode == 0 and "<svg" in done.stdout, done.stderr


def test_the_dot_reader_refuses_what_graphviz_would():
    import pytest
    good = 'digraph g {\n  n0 [label="x"];\n  n1 [label=<<b>*</b>>];\n  n0 -> n1 [label=<1<br/>2>];\n}\n'
    assert len(dotlang.parse(good)[0].edges) == 1
    for bad in (good.replace("<b>*</b>", "<b>*"),          # an HTML label that is not well-formed
                good.replace("n0 -> n1", "n0 -> n7"),      # an edge to a node never declared
                good.rstrip().rstrip("}"),                 # no closing brace
                good.replace("[label=<1", "[label <1"),    # an attribute without =
                good.replace("digraph", "graph")):
        with pytest.raises(ValueError):
            dotlang.parse(bad)
