"""--dot and --tree: the circuit with values and gradients on its wires."""
import re
from io import StringIO

from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli.cli import main
from gradcli.draw import dot, tree

NEURON = ("var ax = a*x; var by = b*y; var axpby = ax + by; var axpbypc = axpby + c; var s = sig(axpbypc)",
          dict(a=1, b=2, c=-3, x=-1, y=3))


def text(renderable) -> str:
    out = StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def wire(value, grad):
    return '[label=<<font color="#2e7d32">%s</font><br/><font color="#c62828">%s</font>>]' % (value, grad)


def test_dot_neuron_wires_carry_value_and_gradient():
    out = dot(gradcli.evaluate(*NEURON))
    assert out.startswith("digraph circuit {") and out.rstrip().endswith("}")
    gates = re.findall(r"shape=circle.*label=<<b>([^<]+)</b><br/>(\w+)>", out)
    assert gates == [("*", "ax"), ("*", "by"), ("+", "axpby"), ("+", "axpbypc"), ("sig", "s")]
    # The tutorial's numbers: x carries -1 forward and 0.105 back; b carries 2 and 0.315.
    assert "n1 -> n2 %s;" % wire(-1, 0.105) in out
    assert "n3 -> n5 %s;" % wire(2, 0.315) in out
    assert "-> out %s;" % wire(0.8808, 1) in out
    assert out.count("->") == 10  # 2+2+2+2+1 gate inputs, and the output wire


def test_dot_one_graph_per_output():
    out = dot(gradcli.evaluate("a = 2; a*a; a + 1"))
    assert "digraph circuit {" in out and "digraph circuit_2 {" in out
    # a*a: both wires from a carry its total gradient 2a = 4.
    assert out.count("n0 -> n1 %s;" % wire(2, 4)) == 2


def test_tree_shows_a_reused_node_once():
    (r,) = gradcli.evaluate("q = a*x + x*y; f = sig(q)*q", dict(a=1, x=-1, y=3))
    out = text(tree(r))
    assert out.splitlines()[0] == "f  *  value -0.07194  grad 1"
    assert out.count("q  +  value -4  grad -0.05266") == 2
    assert out.count("(shown above)") == 2  # q the second time, and x in x*y
    assert out.index("a*x  *") < out.index("q  +  value -4  grad -0.05266  (shown above)")


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
    assert "x  input  value 3  grad 6  (shown above)" in res.output
    res = CliRunner().invoke(main, ["x", "x=1", "--tree", "--dot"])
    assert res.exit_code == 2 and "choose one of --dot, --tree" in res.output
