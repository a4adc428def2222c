"""Array programs: values, indexing, @, reductions and elementwise ops with
broadcasting, each gradient against central differences (and PyTorch where
it is installed); the tutorials' list and matrix examples with their
numbers; and bad array input, each a clear error with exit 2."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli import api
from gradcli.cli import main
from gradcli.errors import GradcliError

from .conftest import EXAMPLES_DIR


def run(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def numeric(text: str, bindings: dict, name: str, h: float = 1e-6) -> np.ndarray:
    """d sum(output) / d bindings[name] by central differences, element by element."""
    x = np.array(bindings[name], dtype=float)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        f_up = np.sum(api.evaluate(text, {**bindings, name: up})[0].value)
        f_down = np.sum(api.evaluate(text, {**bindings, name: down})[0].value)
        grad[k] = (f_up - f_down) / (2 * h)
    return grad


def assert_gradients(text: str, bindings: dict, rtol: float = 1e-5, atol: float = 1e-7):
    r = api.evaluate(text, bindings)[0]
    for name in bindings:
        want = numeric(text, bindings, name)
        got = np.asarray(r.gradients[name])
        assert got.shape == np.shape(bindings[name]), (text, name)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg="%s d/d%s" % (text, name))
    return r


NEURON = (EXAMPLES_DIR / "cs231n_neuron_lists.py").read_text()


def test_seed_001s_list_neuron_forward_and_its_gradients():
    code, out, err = run("-f", str(EXAMPLES_DIR / "cs231n_neuron_lists.py"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert round(result["value"], 3) == 0.731
    assert [round(v, 3) for v in result["gradients"]["x"]] == [0.393, -0.590]
    assert [round(v, 3) for v in result["gradients"]["w"]] == [-0.197, -0.393, 0.197]
    # The notes' own backward pass, computed with numbers, agrees to the last bit.
    w, x = [2, -3, -3], [-1, -2]
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1 + np.exp(-dot))
    ddot = (1 - f) * f
    assert result["gradients"]["x"] == pytest.approx([w[0] * ddot, w[1] * ddot], rel=1e-15)
    assert result["gradients"]["w"] == pytest.approx([x[0] * ddot, x[1] * ddot, 1.0 * ddot], rel=1e-15)


def test_the_table_of_the_list_neuron_has_shapes():
    code, out, err = run("-f", str(EXAMPLES_DIR / "cs231n_neuron_lists.py"))
    assert code == 0, err
    assert "shape" in out.splitlines()[1]
    row = next(line for line in out.splitlines() if line.startswith("w "))
    assert "(3,)" in row and "[2, -3, -3]" in row and "[-0.1966, -0.3932, 0.1966]" in row
    assert "hand-written backward pass" in out


def test_cs231n_matrix_multiply_with_its_hand_written_gradients():
    rng = np.random.RandomState(1)
    W, X = rng.randn(5, 10), rng.randn(10, 3)
    dD = rng.randn(5, 3)  # the gradient arriving at D, as in the notes
    r = api.evaluate("D = W.dot(X); sum(D * dD)", {"W": W, "X": X, "dD": dD})[0]
    np.testing.assert_allclose(r.gradients["W"], dD.dot(X.T), rtol=1e-12)
    np.testing.assert_allclose(r.gradients["X"], W.T.dot(dD), rtol=1e-12)
    assert r.gradients["W"].shape == W.shape and r.gradients["X"].shape == X.shape


def test_bindings_of_lists_on_the_command_line():
    code, out, err = run("sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["value"] == -2.0
    assert result["gradients"] == {"W": [[1.0, -1.0], [1.0, -1.0]], "x": [4.0, 6.0]}


def test_json_keeps_full_precision():
    code, out, _ = run("x / 3", "x=[1, 2]", "--json")
    result = json.loads(out)
    assert result["value"] == [1 / 3, 2 / 3]
    assert result["shape"] == [2]
    assert "sum of its elements" in result["notes"][0]


def test_a_number_is_an_array_of_no_dimensions():
    assert api.evaluate("sum(x * y)", {"x": [1.0, 2.0], "y": 3.0})[0].gradients["y"] == 3.0
    r = assert_gradients("x * y", {"x": 2.0, "y": 3.0})
    assert r.value == 6.0


_RNG = np.random.RandomState(7)


def _r(*shape):
    return _RNG.uniform(-2, 2, size=shape)


def _pos(*shape):
    return _RNG.uniform(0.5, 2, size=shape)


# Every op, at random shapes, with broadcasting where it applies.
OP_CASES = [
    ("x + y", {"x": _r(3, 4), "y": _r(4)}),
    ("x - y", {"x": _r(2, 1, 3), "y": _r(4, 1)}),
    ("x * y", {"x": _r(3, 1), "y": _r(1, 5)}),
    ("x / y", {"x": _r(3, 4), "y": _pos(3, 1)}),
    ("x ^ 2 + x ** 3", {"x": _r(2, 3)}),
    ("pow(x, y)", {"x": _pos(3), "y": _r(3)}),
    ("-x", {"x": _r(4)}),
    ("exp(x) + log(y) + sqrt(y) + log2(y) + log10(y)", {"x": _r(3), "y": _pos(3)}),
    ("sig(x) + tanh(x) + softplus(x) + erf(x)", {"x": _r(2, 3)}),
    ("sin(x) + cos(x) + tan(x / 2) + atan(x) + sinh(x) + cosh(x)", {"x": _r(4)}),
    ("asin(x / 3) + acos(x / 3)", {"x": _r(4)}),
    ("atan2(y, x)", {"x": _pos(3), "y": _r(3)}),
    ("abs(x) + relu(x)", {"x": _r(5)}),
    ("max(x, y, z) + min(x, y)", {"x": _r(3), "y": _r(3), "z": _r(3)}),
    ("np.maximum(0, x) + np.minimum(x, 1)", {"x": _r(2, 4)}),
    ("x > 0 ? x : 2 * x", {"x": _r(5)}),
    ("W @ x", {"W": _r(3, 4), "x": _r(4)}),
    ("x @ W", {"W": _r(4, 3), "x": _r(4)}),
    ("A @ B", {"A": _r(2, 3), "B": _r(3, 5)}),
    ("x @ y", {"x": _r(4), "y": _r(4)}),
    ("A.dot(B) + np.dot(A, B)", {"A": _r(2, 3), "B": _r(3, 2)}),
    ("A.T", {"A": _r(2, 3)}),
    ("(A * 2).T @ A", {"A": _r(2, 3)}),
    ("sum(x)", {"x": _r(3, 4)}),
    ("sum(x, axis=0)", {"x": _r(3, 4)}),
    ("np.sum(x, axis=1, keepdims=True) * x", {"x": _r(3, 4)}),
    ("x.sum(axis=-1)", {"x": _r(2, 3, 4)}),
    ("mean(x) + mean(x, axis=0)", {"x": _r(3, 4)}),
    ("max(x, axis=0) + min(x, axis=0, keepdims=True) + sum(max(x, axis=1))", {"x": _r(3, 4)}),
    ("x.max()", {"x": _r(5)}),
    ("x[1] + x[0, 2] + W[1][2] + W[-1, 0]", {"x": _r(3, 4), "W": _r(2, 3)}),
    ("x[1:3] * 2 + x[:2]", {"x": _r(4)}),
    ("[x[0] * y, x[1] * y]", {"x": _r(2), "y": _r(3)}),
    ("[[a, b], [b, a]] @ [a, b]", {"a": 1.5, "b": -0.5}),
]


@pytest.mark.parametrize("text,bindings", OP_CASES, ids=[c[0] for c in OP_CASES])
def test_every_array_op_against_central_differences(text, bindings):
    assert_gradients(text, bindings)


def test_the_gradient_of_a_broadcast_input_has_its_shape():
    r = api.evaluate("x + b", {"x": np.ones((4, 3)), "b": np.zeros(3)})[0]
    assert r.gradients["b"].tolist() == [4.0, 4.0, 4.0]


def test_relu_at_zero_and_ties_follow_the_scalar_conventions():
    r = api.evaluate("sum(relu(x))", {"x": [-1.0, 0.0, 2.0]})[0]
    assert r.gradients["x"].tolist() == [0.0, 0.0, 1.0]
    assert any("1 element at a kink of relu" in n and "[1]" in n for n in r.notes)
    r = api.evaluate("max(x)", {"x": [3.0, 1.0, 3.0]})[0]
    assert r.gradients["x"].tolist() == [0.5, 0.0, 0.5]


def _programs():
    """Random small array programs, each with its bindings."""
    rng = np.random.RandomState(3)
    unary = ["exp", "tanh", "sig", "relu", "abs", "sin"]
    for k in range(25):
        n, m = rng.randint(1, 5), rng.randint(1, 5)
        f, g = rng.choice(unary), rng.choice(unary)
        text = "h = %s(W @ x + b); y = %s(h) * c; sum(y * y) + mean(W, axis=%d)" % (f, g, rng.randint(0, 2))
        yield text, {"W": rng.randn(n, m), "x": rng.randn(m), "b": rng.randn(n), "c": rng.randn(n)}


PROGRAMS = list(_programs())


@pytest.mark.parametrize("text,bindings", PROGRAMS)
def test_random_array_programs_against_central_differences(text, bindings):
    assert_gradients(text, bindings, rtol=1e-4, atol=1e-6)


TORCH_NAMES = {"sig": "sigmoid", "abs": "abs", "relu": "relu", "exp": "exp", "tanh": "tanh", "sin": "sin"}


@pytest.mark.parametrize("text,bindings", PROGRAMS[:10])
def test_random_array_programs_against_pytorch(text, bindings):
    torch = pytest.importorskip("torch")
    r = api.evaluate(text, bindings)[0]
    ts = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in bindings.items()}
    head, rest = text.split("; y = ")
    f = head.split("(")[0].split("= ")[1]
    g, axis = rest.split("(")[0], int(rest.split("axis=")[1][0])
    h = getattr(torch, TORCH_NAMES[f])(ts["W"] @ ts["x"] + ts["b"])
    y = getattr(torch, TORCH_NAMES[g])(h) * ts["c"]
    out = (torch.sum(y * y) + ts["W"].mean(dim=axis)).sum()
    out.backward()
    for k, t in ts.items():
        np.testing.assert_allclose(r.gradients[k], t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("args,words", [
    (("sum(W @ x)", "W=[[1,2],[3]]", "x=[1,-1]"), "ragged"),
    (("sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,-1,3]"), "do not fit a matrix product"),
    (("x + y", "x=[1,2,3]", "y=[1,2]"), "x (3,) and y (2,)"),
    (("x[5]", "x=[1,2]"), "index 5 is out of range"),
    (("sum(x, axis=2)", "x=[1,2]"), "axis 2 does not exist"),
    (("x[0, 0]", "x=[1,2]"), "2 indices for an array of 1 dimension"),
    (("x", "x=[1,2"), "not a closed list"),
    (("x", "x=[1,,2]"), "not a list of numbers"),
    (("x[i]", "x=[1,2]", "i=0"), "written out"),
    (("[]",), "empty list"),
    (("zeros(1e9, 1e9)",), "gradcli makes arrays of up to"),
    (("x[1:2:3]", "x=[1,2]"), "expected an operator, ',' or ']'"),
    (("sum(x, axis=0.5)", "x=[1,2]"), "an axis is a whole number"),
    (("sum(x, foo=1)", "x=[1,2]"), "sum has no parameter foo"),
])
def test_bad_array_input_is_a_clear_error_with_exit_2(args, words):
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert words in err, err
    assert "Traceback" not in err


def test_a_nan_inside_an_array_names_the_node_and_the_element():
    code, _, err = run("log(x)", "x=[1, 2, -3]")
    assert code == 1
    assert "log(x) at element [2]" in err and "log needs an argument above 0" in err


@pytest.mark.parametrize("flag", ["--emit=js", "--dot", "--tree",
                                  "--format=csv"])
def test_modes_without_arrays_refuse_them_clearly(flag):
    code, _, err = run("sum(x * x)", "x=[1,2]", flag)
    assert code == 2
    assert "does not work on arrays yet" in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["python-gates", "js-gates"])
def test_unit_and_gate_code_is_refused_for_arrays_with_the_numpy_code_offered(kind):
    code, out, err = run("relu(x)", "x=[1,2]", "--emit", kind)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--emit %s writes scalar programs: a Unit holds one number" % kind in err
    assert "hint: --emit python writes an array program's forward and backward pass with numpy" in err


@pytest.mark.parametrize("flag", ["--draw=c.svg", "--html=c.html"])
def test_pictures_refuse_arrays_before_writing_anything(flag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for more in ([], ["--step", "0.1", "--steps", "2"]) if flag.startswith("--html") else ([],):
        code, out, err = run("sum(x * x)", "x=[1,2]", flag, *more)
        assert code == 2 and out == "", (more, out)
        assert "%s does not work on arrays yet" % flag.split("=")[0] in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_bound_array_the_output_does_not_use_has_zero_gradients_of_its_shape():
    args = ("x*y", "x=1", "y=2", "W=[[1,2],[3,4]]")
    code, out, err = run(*args, "--json", "--no-nodes")
    assert code == 0, err
    assert json.loads(out)["gradients"] == {"x": 2.0, "y": 1.0, "W": [[0.0, 0.0], [0.0, 0.0]]}
    # --check moves every element of W, and the output does not change.
    code, out, err = run(*args, "--check")
    assert code == 0, err
    w = [line.split() for line in out.splitlines() if line.startswith("W[")]
    assert w == [["W[0,", "0]", "(worst", "of", "4)", "1", "0", "0", "0.00e+00", "good"]]


def test_errors_of_the_array_api_are_gradcli_errors():
    with pytest.raises(GradcliError):
        api.evaluate("x @ y", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]})


def test_randn_is_seeded_and_reproducible():
    text = "W = 0.01 * np.random.randn(D, H); sum(W * W)"
    a = api.evaluate(text, {"D": 3, "H": 2})[0]
    b = api.evaluate(text, {"D": 3, "H": 2})[0]
    c = api.evaluate(text, {"D": 3, "H": 2}, seed=5)[0]
    W = a.values[a.graph.inputs["W"]]
    assert W.shape == (3, 2)
    np.testing.assert_array_equal(W, 0.01 * np.random.RandomState(0).standard_normal((3, 2)))
    assert a.value == b.value != c.value
    np.testing.assert_allclose(a.gradients["W"], 2 * W)  # W is an input: it gets a gradient
    code, out, _ = run(text, "D=3", "H=2", "--seed", "5", "--json")
    assert json.loads(out)["value"] == c.value


def test_zeros_ones_and_constant_expressions_are_inputs_with_a_starting_value():
    r = api.evaluate("b = np.zeros((1, 3)); w = ones(3) * 2; x = [1, 2, 3]; sum(x * w + b)")[0]
    assert set(r.graph.inputs) == {"b", "w", "x"}
    assert r.gradients["b"].tolist() == [[1.0, 1.0, 1.0]]
    assert r.gradients["w"].tolist() == [1.0, 2.0, 3.0]
    # A binding on the command line overrides the program's starting value.
    code, out, _ = run("w = [1, 1]; sum(w * w)", "w=[3,4]", "--json")
    assert json.loads(out)["value"] == 25.0


def test_data_binds_each_column_of_a_csv_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x0,x1,y\n1.2,0.7,1\n-0.3,-0.5,-1\n3.0,0.1,1\n")
    code, out, err = run("mean(y * (w0 * x0 + w1 * x1))", "w0=0.1", "w1=0.2", "--data", str(path), "--json")
    assert code == 0, err
    result = json.loads(out)
    x0, x1, y = np.array([1.2, -0.3, 3.0]), np.array([0.7, -0.5, 0.1]), np.array([1.0, -1.0, 1.0])
    assert result["value"] == pytest.approx(np.mean(y * (0.1 * x0 + 0.2 * x1)))
    assert result["gradients"]["w0"] == pytest.approx(np.mean(y * x0))
    assert result["gradients"]["x1"] == pytest.approx(y * 0.2 / 3)


@pytest.mark.parametrize("text,words", [
    ("1,2\n3,4\n", "has no header"),
    ("x,y\n1,2\n3,a\n", "line 3, column 2 (y): 'a' is not a number"),
    ("x,y\n1,2\n3\n", "line 3 has 1 values"),
    ("x,1y\n1,2\n", "'1y' is not a name"),
    ("", "is empty"),
])
def test_bad_csv_files_are_clear_errors(tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, _, err = run("sum(x)", "--data", str(path))
    assert code == 2 and words in err, err


LOSS_CASES = [
    ("sum(softmax(x) * w)", {"x": _r(5), "w": _r(5)}),
    ("sum(softmax(X, axis=0) * W)", {"X": _r(3, 4), "W": _r(3, 4)}),
    ("logsumexp(x)", {"x": _r(6)}),
    ("sum(logsumexp(X, axis=1, keepdims=True) * X)", {"X": _r(3, 4)}),
    ("cross_entropy(S * 2, y)", {"S": _r(4, 3), "y": np.array([0.0, 2.0, 1.0, 2.0])}),
    ("sum(reshape(x, 2, 3) @ W) + sum(x.reshape((3, 2)))", {"x": _r(6), "W": _r(3, 2)}),
    ("sum(np.maximum(0, s - s[1] + 1))", {"s": _r(4)}),
]


@pytest.mark.parametrize("text,bindings", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_losses_and_reshape_against_central_differences(text, bindings):
    r = api.evaluate(text, bindings)[0]
    for name in bindings:
        if name == "y":  # class labels: data, no gradient
            assert np.all(r.gradients[name] == 0)
            continue
        np.testing.assert_allclose(r.gradients[name], numeric(text, bindings, name), rtol=1e-5, atol=1e-7)


def test_cross_entropy_is_the_mean_over_rows_as_cs231n_takes_it():
    S, y = _r(5, 3), np.array([0, 2, 1, 1, 0])
    r = api.evaluate("cross_entropy(S, y)", {"S": S, "y": y.astype(float)})[0]
    p = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    assert r.value == pytest.approx(-np.mean(np.log(p[np.arange(5), y])), rel=1e-12)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(r.gradients["S"], (p - onehot) / 5, rtol=1e-12)


def test_cross_entropy_against_pytorch():
    torch = pytest.importorskip("torch")
    S, y = _r(6, 4), np.array([3, 0, 1, 2, 2, 0])
    r = api.evaluate("cross_entropy(S, y)", {"S": S, "y": y.astype(float)})[0]
    t = torch.tensor(S, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    loss.backward()
    assert r.value == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(r.gradients["S"], t.grad.numpy(), rtol=1e-10)


def test_check_compares_every_element_and_names_the_worst():
    code, out, err = run("sum(tanh(W @ x))", "W=[[1,2],[3,-4]]", "x=[0.1,-0.2]", "--check", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"]
    names = sorted(report["inputs"])
    assert names[0].startswith("W[") and names[0].endswith("(worst of 4)")
    assert names[1].startswith("x[") and names[1].endswith("(worst of 2)")
    assert all(c["verdict"] == "good" for c in report["inputs"].values())


def test_check_finds_a_wrong_array_gradient():
    from gradcli.check import check
    results = api.evaluate("sum(W @ x)", {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, -1.0]})
    w = results[0].graph.inputs["W"]
    results[0].grads[w] = results[0].grads[w].copy()
    results[0].grads[w][1, 0] += 0.5  # one element wrong
    [report] = check(results)
    bad = [c for c in report.inputs if c.verdict == "wrong"]
    assert not report.ok and bad[0].name.startswith("W[1, 0]")


def test_the_svm_trains_from_its_csv_with_the_data_frozen():
    args = ["-f", str(EXAMPLES_DIR / "svm.py"), "--data", str(EXAMPLES_DIR / "svm.csv"),
            "--freeze", "x,y,label", "--descend", "--step", "0.01", "--steps", "300", "--every", "100", "--json"]
    code, out, err = run(*args)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    steps, final = lines[:-1], lines[-1]
    assert [s["step"] for s in steps] == [0, 100, 200, 300]
    assert steps[0]["value"] == pytest.approx(5.3)
    assert steps[-1]["value"] < 0.3 and steps[-1]["outputs"]["accuracy"] == 1.0
    assert final["gradients"]  # the full result at the last state
    x = [float(line.split(",")[0]) for line in (EXAMPLES_DIR / "svm.csv").read_text().splitlines()[1:]]
    assert final["nodes"][[n["label"] for n in final["nodes"]].index("x")]["value"] == x  # frozen


def test_one_array_step_moves_each_input_by_step_times_its_gradient():
    r0 = api.evaluate("w = [1, -2]; sum(w * x) ^ 2", {"x": np.array([0.5, 3.0])})[0]
    g = r0.gradients["w"]
    code, out, _ = run("w = [1, -2]; sum(w * x) ^ 2", "x=[0.5,3]", "--freeze", "x", "--step", "0.01", "--json")
    final = json.loads(out.splitlines()[-1])
    w = [n for n in final["nodes"] if n["label"] == "w"][0]["value"]
    np.testing.assert_allclose(w, np.array([1.0, -2.0]) + 0.01 * g, rtol=1e-14)


def test_a_two_layer_net_trains_with_randn_weights():
    program = """
    W1 = 0.5 * np.random.randn(2, 8); b1 = np.zeros(8)
    W2 = 0.5 * np.random.randn(8, 2); b2 = np.zeros(2)
    h = np.maximum(0, X @ W1 + b1)
    loss = cross_entropy(h @ W2 + b2, y)
    loss
    """
    X = "[[0,0],[0,1],[1,0],[1,1]]"
    code, out, err = run(program, "X=" + X, "y=[0,1,1,0]", "--freeze", "X,y", "--descend", "--step", "0.5",
                         "--steps", "200", "--every", "200", "--json")
    assert code == 0, err
    steps = [json.loads(line) for line in out.splitlines()[:-1]]
    assert steps[-1]["value"] < 0.5 * steps[0]["value"]


def test_verify_checks_seed_001s_list_backward_pass():
    code, out, err = run("--verify", "-f", str(EXAMPLES_DIR / "cs231n_neuron_lists.py"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"]
    lines = {v["gradient"]: v for v in report["lines"]}
    assert [round(v, 3) for v in lines["dx"]["value"]] == [0.393, -0.590]
    assert [round(v, 3) for v in lines["dw"]["value"]] == [-0.197, -0.393, 0.197]
    assert all(v["status"] == "ok" for v in lines.values())


MATMUL = (EXAMPLES_DIR / "cs231n_matmul.py").read_text()


def test_verify_checks_cs231n_matrix_multiply_backward_pass():
    code, out, err = run("--verify", "-f", str(EXAMPLES_DIR / "cs231n_matmul.py"), "--json")
    assert code == 0, err
    lines = {v["gradient"]: v for v in json.loads(out)["lines"]}
    assert lines["dD"]["status"] == "given"
    dD = np.array(lines["dD"]["value"])
    W, X = np.random.RandomState(0).standard_normal((5, 10)), None
    rng = np.random.RandomState(0)
    W, X = rng.standard_normal((5, 10)), rng.standard_normal((10, 3))
    np.testing.assert_allclose(lines["dW"]["value"], dD.dot(X.T), rtol=1e-12)
    np.testing.assert_allclose(lines["dX"]["value"], W.T.dot(dD), rtol=1e-12)


def test_a_shape_mistake_gets_its_own_message():
    wrong = MATMUL.replace("dW = dD.dot(X.T)", "dW = X.dot(dD.T)")
    code, out, _ = run("--verify", wrong)
    assert code == 1
    assert "dW has shape (10, 5) but W is (5, 10): did you mean dD.dot(X.T)?" in " ".join(out.split())


def test_a_wrong_element_is_named():
    wrong = MATMUL.replace("dX = W.T.dot(dD)", "dX = W.T.dot(dD) * 2")
    code, out, _ = run("--verify", wrong, "--json")
    assert code == 1
    [dx] = [v for v in json.loads(out)["lines"] if v["gradient"] == "dX"]
    assert dx["status"] == "wrong" and "dX[0, 0]" in dx["message"] and "the rule: dX = W.T.dot(dD)" in dx["message"]
    np.testing.assert_allclose(dx["value"], 2 * np.array(dx["true"]), rtol=1e-12)


def test_explain_writes_the_vectorized_backward_pass_with_shapes():
    code, out, err = run("-f", str(EXAMPLES_DIR / "cs231n_matmul.py"), "--explain")
    assert code == 0, err
    text = " ".join(out.split())
    assert "dW (5×10) += dD (5×3) @ X.T (3×10)" in text
    assert "dX (10×3) += W.T (10×5) @ dD (5×3)" in text
    code, _, err = run("sum(x)", "x=[1,2]", "--paths")
    assert code == 2 and "--paths does not work on arrays yet" in err


@pytest.mark.parametrize("text,bindings", OP_CASES[::3] + LOSS_CASES, ids=[c[0] for c in OP_CASES[::3] + LOSS_CASES])
def test_emitted_numpy_code_computes_what_gradcli_computes(text, bindings, tmp_path):
    from gradcli.emit import emit
    g = api.compile(text, bindings)
    [r] = api.evaluate(text, bindings)
    namespace: dict = {}
    exec(compile(emit(g, "python"), "emitted.py", "exec"), namespace)
    value, grads = namespace["forward_backward"](**{k: v for k, v in bindings.items()})
    np.testing.assert_allclose(value, r.value, rtol=1e-13, atol=1e-15)
    for name in bindings:
        np.testing.assert_allclose(grads[name], r.gradients[name], rtol=1e-13, atol=1e-15)


def test_emitted_code_draws_randn_from_the_seed():
    from gradcli.emit import emit
    text = "W = randn(3, 2); sum(W * x)"
    g = api.compile(text, {"x": np.ones(2)}, seed=4)
    namespace: dict = {}
    exec(emit(g, "python"), namespace)
    value, grads = namespace["forward_backward"](x=np.ones(2), seed=4)
    assert value == pytest.approx(api.evaluate(text, {"x": np.ones(2)}, seed=4)[0].value, rel=1e-15)


def test_the_session_refuses_arrays_without_a_traceback():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "gradcli", "-i"], input="x = [1, 2]\nsum(x*x)\n",
                          capture_output=True, text=True, timeout=60)
    text = proc.stdout + proc.stderr
    assert "the session does not take arrays" in text
    assert "Traceback" not in text and "internal error" not in text


def test_every_helper_the_scalar_templates_call_has_a_numpy_spelling():
    # A scalar op made elementwise calls its templates' helpers on arrays: each needs one.
    from gradcli import arrayops, ops
    assert set(ops.HELPERS) <= set(arrayops.NUMPY)
    assert arrayops.NUMPY["LOG2E"] == ops.NAMESPACE["LOG2E"]


def test_an_array_step_loop_reports_the_same_steps_whatever_it_skips():
    # The predicted change is computed only for reported steps: every reported step is
    # the one a run that reports all of them shows, to the bit.
    from gradcli.tensorsteps import ArrayAscent
    text = "sum(np.maximum(0, 1 - label * (a*x + b))) + 0.1 * a*a"
    values = {"x": np.array([1.2, -0.3, 3.0, -0.1]), "label": np.array([1.0, -1.0, 1.0, -1.0]), "a": 1.0, "b": -1.0}

    def steps(every):
        asc = ArrayAscent(api.compile(text, values), 0.01, 12, descend=True, freeze=("x", "label"), every=every)
        return {s.k: (s.value, s.predicted, s.change, repr(s.inputs), repr(s.gradients)) for s in asc}
    every_step, some = steps(1), steps(5)
    assert sorted(some) == [0, 5, 10, 12]
    assert all(some[k] == every_step[k] for k in some)
    assert all(every_step[k][1] is not None for k in every_step if k)


def test_ctrl_c_in_an_array_step_run_keeps_the_state_reached_and_says_so(monkeypatch):
    from gradcli import tensor
    forward, calls = tensor.forward, []

    def interrupted_at_the_fourth(g):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return forward(g)
    monkeypatch.setattr(tensor, "forward", interrupted_at_the_fourth)
    res = CliRunner().invoke(main, ["sum(w * w)", "w=[1, -2]", "--step", "0.1", "--steps", "10", "--descend"])
    assert res.exit_code == 130
    assert "interrupted: the state reached after 2 updates" in res.output
    # w after two steps of w -= 0.1 * 2w, and its gradient there, though step 3 had begun
    row = next(line for line in res.output.splitlines() if line.startswith("w "))
    assert row.split() == ["w", "(2,)", "[1,", "-2]", "[0.64,", "-1.28]", "[1.28,", "-2.56]"]


def test_the_steps_of_an_array_run_each_keep_their_own_values():
    from gradcli.tensorsteps import ArrayAscent
    seen = [s.inputs["w"] for s in ArrayAscent(api.compile("sum(w * w)", {"w": [1.0, -2.0]}), 0.1, 3, descend=True)]
    assert [list(w) for w in seen] == [[1.0, -2.0], [0.8, -1.6], [0.64, -1.28], [0.512, -1.024]]


@pytest.mark.parametrize("program,message,caret", [
    # sizes past every float, and an axis too long even where another is 0
    ("X = np.random.randn(10, 1e308); sum(X)",
     "np.random.randn(10, 1e308): an array of shape (10, 1e+308) has 1e+309 elements; gradcli makes arrays "
     "of up to 134217728", "  X = np.random.randn(10, 1e308); sum(X)\n      ^^^^^^^^^^^^^^^^^^^^^^^^^^"),
    ("X = np.zeros(1e308, 0); sum(X)",
     "np.zeros(1e308, 0): an array of shape (1e+308, 0) has an axis of length 1e+308; gradcli makes arrays "
     "of up to 134217728 elements, and axes no longer", "      ^^^^^^^^^^^^^^^^^^"),
    ("X = np.random.randn(1e30); sum(X)",
     "np.random.randn(1e30): an array of shape (1e+30,) has 1e+30 elements; gradcli makes arrays of up to "
     "134217728", "      ^^^^^^^^^^^^^^^^^^^^^"),
    # a shape read from an input nothing binds (nan is a name too)
    ("X = np.random.randn(q); sum(X)", "no value for input q",
     "  X = np.random.randn(q); sum(X)\n                      ^\nhint: bind it on the command line (q=1) or in "
     "the program (q = 1)"),
    ("X = np.random.randn(nan); sum(X)", "no value for input nan", "                      ^^^\n"),
    ("X = np.ones((q, r)); sum(X)", "no value for inputs q, r",
     "  X = np.ones((q, r)); sum(X)\n               ^\nhint: bind them on the command line (q=1 r=1)"),
])
def test_a_shape_with_no_size_gradcli_can_make_is_a_clear_error(program, message, caret):
    code, _, err = run(program)
    assert code == 2, err
    assert err.startswith("gradcli: error at <expr> line 1, column ") and message in err.splitlines()[0]
    assert caret in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_division_by_zero_of_written_numbers_in_an_array_program_is_a_math_error():
    code, _, err = run("X = np.random.randn(2); k = 0/0; sum(X) * k")
    assert code == 1, err
    assert err.splitlines()[0] == "gradcli: math error at <expr> line 1, column 29: 0/0: the divisor must not be 0"
    assert "Traceback" not in err and "internal error" not in err
