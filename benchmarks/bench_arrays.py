#!/usr/bin/env python3
"""Array programs' speed: a two-layer MLP written as gradcli text, batch 64,
784 -> 100 -> 10, relu, softmax cross-entropy, against the same thing written
by hand in numpy (and PyTorch on the CPU where it is installed).

    python benchmarks/bench_arrays.py [--runs 7] [--reps 50] [--steps 200]

Run by hand, not in CI. Two figures, each beside its target:
  forward and backward, one pass: gradcli's time / numpy's  (target: at most 1.5x)
  the step loop: gradcli's steps per second / numpy's       (target: at least 0.7x)
gradcli's figures are for a graph built once (parsing is not in the loop, as
the step loop does not parse either). Each figure is the median of several runs;
numpy and PyTorch run on one thread each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# One BLAS thread for numpy, as for PyTorch: on a shared machine threads that
# fight for the cores make every figure noise.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

PROGRAM = """
h = np.maximum(0, X @ W1 + b1)
scores = h @ W2 + b2
loss = cross_entropy(scores, y)
loss
"""
N, D, H, C = 64, 784, 100, 10
STEP = 0.1


def data(seed: int = 0) -> dict:
    rng = np.random.RandomState(seed)
    return {"X": rng.randn(N, D), "y": rng.randint(0, C, size=N).astype(float),
            "W1": 0.01 * rng.randn(D, H), "b1": np.zeros(H), "W2": 0.01 * rng.randn(H, C), "b2": np.zeros(C)}


def numpy_pass(X, y, W1, b1, W2, b2):
    """Forward and backward by hand, as CS231n's assignment writes it."""
    z = X @ W1 + b1
    h = np.maximum(0, z)
    s = h @ W2 + b2
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    yi = y.astype(int)
    loss = -np.mean(np.log(p[np.arange(len(yi)), yi]))
    ds = p
    ds[np.arange(len(yi)), yi] -= 1
    ds /= len(yi)
    dW2 = h.T @ ds
    db2 = ds.sum(axis=0)
    dh = ds @ W2.T
    dz = dh * (z > 0)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, dW1, db1, dW2, db2


def numpy_steps(n, X, y, W1, b1, W2, b2):
    W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
    for _ in range(n):
        loss, dW1, db1, dW2, db2 = numpy_pass(X, y, W1, b1, W2, b2)
        W1 -= STEP * dW1
        b1 -= STEP * db1
        W2 -= STEP * dW2
        b2 -= STEP * db2
    return loss


def timed(fn, reps: int, runs: int) -> float:
    """Seconds per call: the median over runs of reps calls."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def paired(fa, fb, reps: int, runs: int) -> tuple[float, float, float]:
    """(seconds per call of fa, of fb, the median of their ratios), the two timed
    in turn within each run, so that a busy machine slows both alike."""
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        a = timed(fa, reps, 1)
        b = timed(fb, reps, 1)
        ta.append(a)
        tb.append(b)
        ratios.append(a / b)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()

    from gradcli.api import compile
    from gradcli.engine import evaluate
    from gradcli.tensorsteps import ArrayAscent

    values = data()
    g = compile(PROGRAM, values)
    [r] = evaluate(g)
    want = numpy_pass(**values)
    assert abs(r.value - want[0]) < 1e-12, (r.value, want[0])
    assert np.allclose(r.gradients["W1"], want[1], rtol=1e-10, atol=1e-14)

    from gradcli import tensor
    frozen = {g.inputs["X"], g.inputs["y"]}  # data: as by hand, no gradient for them

    def gradcli_pass():
        v = tensor.forward(g)
        return tensor.backward(g, v, g.outputs[0][1], frozen=frozen)
    ours, theirs, ratio = paired(gradcli_pass, lambda: numpy_pass(**values), args.reps, args.runs)
    print("MLP %d->%d->%d, batch %d, softmax cross-entropy: forward and backward, one pass" % (D, H, C, N))
    print("  gradcli  %8.3f ms" % (ours * 1e3))
    print("  numpy    %8.3f ms   (written by hand)" % (theirs * 1e3))
    torch_pass = None
    try:
        import torch
        torch.set_num_threads(1)
        t = {k: torch.tensor(v, requires_grad=k.startswith(("W", "b"))) for k, v in values.items()}
        labels = t["y"].long()

        def torch_pass():
            for k in ("W1", "b1", "W2", "b2"):
                t[k].grad = None
            h = torch.relu(t["X"] @ t["W1"] + t["b1"])
            loss = torch.nn.functional.cross_entropy(h @ t["W2"] + t["b2"], labels)
            loss.backward()
            return loss
        tt = timed(torch_pass, args.reps, args.runs)
        print("  pytorch  %8.3f ms   (CPU, float64, 1 thread)" % (tt * 1e3))
    except ImportError:
        print("  pytorch  not installed")
    print("  gradcli / numpy = %.2fx   target: at most 1.5x   %s" % (ratio, "met" if ratio <= 1.5 else "NOT MET"))

    def gradcli_steps(h=None):
        asc = ArrayAscent(h or compile(PROGRAM, values), STEP, args.steps, descend=True, freeze=("X", "y"),
                          every=args.steps)
        for _ in asc:
            pass
        return asc.last
    runs = max(3, args.runs // 2)
    loops, hand, ratios = [], [], []
    for _ in range(runs):  # each run on a graph of its own, built before the clock starts; numpy in turn
        h = compile(PROGRAM, values)
        t0 = time.perf_counter()
        gradcli_steps(h)
        loops.append(time.perf_counter() - t0)
        hand.append(timed(lambda: numpy_steps(args.steps, **values), 1, 1))
        ratios.append(hand[-1] / loops[-1])
    ours = statistics.median(loops) / args.steps
    theirs = statistics.median(hand) / args.steps
    last = gradcli_steps()
    assert last is not None and abs(last.value - numpy_steps(args.steps + 1, **values)) < 1e-9
    print()
    print("the step loop, %d steps of size %g (descent, X and y frozen)" % (args.steps, STEP))
    print("  gradcli  %8.1f steps/s" % (1 / ours))
    print("  numpy    %8.1f steps/s   (written by hand)" % (1 / theirs))
    if torch_pass is not None:
        import torch

        def torch_steps():
            for _ in range(args.steps):
                torch_pass()
                with torch.no_grad():
                    for k in ("W1", "b1", "W2", "b2"):
                        t[k] -= STEP * t[k].grad
        tt = timed(torch_steps, 1, runs) / args.steps
        print("  pytorch  %8.1f steps/s   (CPU, float64, 1 thread)" % (1 / tt))
    ratio = statistics.median(ratios)
    print("  gradcli / numpy = %.2fx   target: at least 0.7x   %s" % (ratio, "met" if ratio >= 0.7 else "NOT MET"))


if __name__ == "__main__":
    main()
