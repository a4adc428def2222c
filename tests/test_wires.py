"""wires.py: each wire's own share of the gradient, and that a node's shares,
added in the order the backward pass adds them, are its gradient bit for bit."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, note, strategies as st

import gradcli
from gradcli import MathError
from gradcli.graph import CONST
from gradcli.wires import Uses, Wire, into, leaving, name, shares, short_name, wires

from .test_properties import points, programs, to_text, trees


def same_bits(a: float, b: float) -> bool:
    return a.hex() == b.hex() if a == a else b != b


def check(r) -> None:
    """The contract of wires.py, on one evaluated output."""
    g, grads = r.graph, r.grads
    out = leaving(r)
    assert out[r.output] == []  # the output's gradient is the seed, 1
    for a, ws in enumerate(out):
        assert all(w.source == a for w in ws)
        if not ws:
            continue
        assert g.kind[a] != CONST and g.needs[a]
        total = ws[0].share
        for w in ws[1:]:
            total = total + w.share  # the engine's grads[a] = ga + d
        assert same_bits(total, grads[a]), (g.label(a), [w.share for w in ws], grads[a])
    # Every node but the output with a gradient has a wire that brings it.
    for a, d in enumerate(grads):
        if d is not None and a != r.output:
            assert out[a], g.label(a)
    # The wires are the gates' arguments that need a gradient, gates from the output down.
    order = [(w.node, w.arg) for w in wires(r)]
    assert order == sorted(order, key=lambda t: (-t[0], t[1]))
    for w in wires(r):
        assert g.args[w.node][w.arg] == w.source and grads[w.node] is not None
    # The other views are the same wires.
    assert list(map(Wire._make, shares(r))) == wires(r)
    table = Uses(r)
    assert len(table) == len(out) and [[(w.node, w.arg, w.share) for w in ws] for ws in out] == [
        table[i] for i in range(len(table))]
    assert list(table.count) == [len(ws) for ws in out]
    assert into(r) == {(w.node, w.arg): w for w in wires(r)}


def shares_of(r, label: str) -> list[tuple[str, float]]:
    """(the gate, the share) of each wire leaving the node called `label`."""
    g = r.graph
    (a,) = [i for i in range(len(g)) if g.label(i) == label and g.kind[i] != CONST and r.grads[i] is not None]
    return [(g.label(w.node), w.share) for w in leaving(r)[a]]


def test_x_times_x():
    r = gradcli.grad("x*x", x=3)
    check(r)
    assert shares_of(r, "x") == [("x*x", 3.0), ("x*x", 3.0)] and r.gradients["x"] == 6.0
    assert [name(r.graph, w) for w in wires(r)] == ["the 1st wire from x into x*x", "the 2nd wire from x into x*x"]


def test_a_reused_intermediate():
    r = gradcli.grad("y = x*x; z = y + y", x=3)
    check(r)
    assert shares_of(r, "y") == [("z", 1.0), ("z", 1.0)]
    assert shares_of(r, "x") == [("y", 6.0), ("y", 6.0)] and r.gradients["x"] == 12.0


def test_x_times_y_plus_x():
    r = gradcli.grad("x*y + x", x=2, y=3)
    check(r)
    assert shares_of(r, "x") == [("x*y + x", 1.0), ("x*y", 3.0)] and r.gradients["x"] == 4.0
    assert shares_of(r, "y") == [("x*y", 2.0)]
    assert [short_name(r.graph, w) for w in leaving(r)[0]] == ["wire into x*y + x", "wire into x*y"]
    assert name(r.graph, leaving(r)[0][1]) == "the wire from x into x*y"


def test_a_times_a_times_a():
    r = gradcli.grad("a*a*a", a=1.5)
    check(r)
    assert shares_of(r, "a") == [("a*a*a", 2.25), ("a*a", 2.25), ("a*a", 2.25)] and r.gradients["a"] == 6.75
    assert shares_of(r, "a*a") == [("a*a*a", 1.5)]
    assert [which for which in map(lambda w: name(r.graph, w), leaving(r)[0])] == [
        "the wire from a into a*a*a", "the 1st wire from a into a*a", "the 2nd wire from a into a*a"]


def test_the_order_of_the_shares_is_the_backward_pass_order():
    # (0.3 + 0.2) + 0.1 is 0.6; (0.1 + 0.2) + 0.3 is 0.6000000000000001.
    r = gradcli.grad("0.1*x + 0.2*x + 0.3*x", x=1)
    check(r)
    assert [s for _, s in shares_of(r, "x")] == [0.3, 0.2, 0.1] and r.gradients["x"] == 0.6


def test_constants_and_constant_gates_have_no_wires():
    r = gradcli.grad("c = 2*3; c*x + c + max(x, 1, 1)", x=1)
    check(r)
    g = r.graph
    assert all(g.needs[w.source] for w in wires(r))
    assert [g.label(w.source) for w in wires(r) if g.label(w.node).startswith("max")] == ["x"]


def test_every_op_of_the_table():
    from gradcli.ops import FUNCTIONS
    for fn, op in FUNCTIONS.items():
        pool = ["x*y", "x", "y - 0.5", "x + y"]
        args = ", ".join(pool if op.variadic else pool[:op.arity])
        try:
            r = gradcli.grad("%s(%s) * x" % (fn, args), x=0.3, y=0.7)
        except MathError:
            continue
        check(r)


def test_many_outputs_each_with_its_own_shares():
    for r in gradcli.evaluate("x*x; x + x*y; y", dict(x=0.5, y=-2.0)):
        check(r)


def test_a_long_chain_does_not_recurse():
    src = "x0 = x\n" + "\n".join("x%d = x%d * 0.5 + x%d * 0.5" % (k + 1, k, k) for k in range(3000))
    (r,) = gradcli.evaluate(src, dict(x=1))
    check(r)
    assert len(wires(r)) == 4 * 3000  # x_k into both products, both products into the sum
    assert r.gradients["x"] == 1.0


@given(st.one_of(trees.map(to_text), programs().map(lambda p: p[0])), points)
def test_shares_add_up_to_the_gradient_bit_for_bit(text, point):
    note(text)
    try:
        results = gradcli.evaluate(text, point)
    except MathError:
        assume(False)
    for r in results:
        check(r)


@pytest.mark.parametrize("mutation", ["forward order", "one share each"])
def test_the_check_catches_a_wrong_order_or_a_total_on_every_wire(monkeypatch, mutation):
    # The property above can fail: here is check() failing on wires that
    # are wrong in the two ways that matter.
    import gradcli.wires as module
    original = module.shares

    def wrong(result):
        ws = list(original(result))
        if mutation == "forward order":
            return iter(ws[::-1])
        return iter((s, i, k, result.grads[s]) for s, i, k, _ in ws)  # the old picture: the total on each wire
    monkeypatch.setattr(module, "shares", wrong)
    with pytest.raises(AssertionError):
        check(gradcli.grad("0.1*x + 0.2*x + 0.3*x", x=1))
