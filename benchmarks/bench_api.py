#!/usr/bin/env python3
"""The Python API's evaluations per second: a Program evaluated again and again
at new bindings (forward and backward, every gradient), against PyTorch doing
the same work from Python.

    python benchmarks/bench_api.py [--runs 7]

Run by hand, not in CI. Three programs: the tutorials' neuron (5 inputs) and
the network of benchmarks/shapes.py at 49 and 501 parameters (4 -> 8 -> 1 and
3 -> 100 -> 1, tanh, squared error). Rows:

- gradcli Program: straight-line code generated once (what `Program` does);
  the row below it also reads each Result's value and gradients dict, as
  PyTorch's row reads its gradients back;
- gradcli interpreter: engine.evaluate on the bound graph (the reference,
  and what `Program` did before);
- gradcli.grad: parse and build again each time;
- PyTorch, float64, one thread, the network as tensors (its best case: a
  matrix product per layer), parameters made from Python floats and
  gradients read back each evaluation, as the API does.

Medians of --runs rounds, each round timing every row once, in CPU time
(the process's, so other jobs' load moves it less than the clock). Targets: at 49
parameters the Program at least 10x PyTorch's evaluations per second; at 500
the same order (here: at least 10/sqrt(10) = 3.2x).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import shapes  # noqa: E402

import gradcli  # noqa: E402
from gradcli.engine import evaluate as interpret  # noqa: E402

NEURON = "sig(a*x+b*y+c)"
NEURON_AT = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)


def points(start: dict, k: int) -> list[dict]:
    """k bindings near `start`, so no evaluation repeats the one before."""
    return [{n: v + 1e-3 * ((j * 7 + m) % 11 - 5) for m, (n, v) in enumerate(start.items())} for j in range(k)]


def program_rows(text: str, start: dict):
    program = gradcli.Program(text)
    at = points(start, 64)

    def fast(n):
        for j in range(n):
            program.evaluate(at[j & 63])

    def read(n):
        for j in range(n):
            r = program.evaluate(at[j & 63])[0]
            r.value, r.gradients

    def reference(n):
        for j in range(n):
            interpret(program.bind(at[j & 63]))

    def grad(n):
        for j in range(n):
            gradcli.evaluate(text, at[j & 63])
    program.evaluate(at[0])
    program.evaluate(at[1])  # the code is made at the second evaluation
    return [("gradcli Program (straight-line code)", fast),
            ("gradcli Program, .value and .gradients read", read),
            ("gradcli interpreter (the reference)", reference),
            ("gradcli.grad (parse and build each time)", grad)]


def torch_mlp(inputs: int, hidden: int):
    import torch
    torch.set_num_threads(1)
    data, params = shapes._mlp_values(inputs, hidden)
    names = list(params)
    x = torch.tensor(list(data.values()), dtype=torch.float64)
    at = points(params, 64)
    lists = [[p[n] for n in names] for p in at]
    W, B, V = hidden * inputs, hidden * inputs + hidden, hidden * inputs + 2 * hidden

    def run(n):
        for j in range(n):
            flat = torch.tensor(lists[j & 63], dtype=torch.float64, requires_grad=True)
            w = flat[:W].view(hidden, inputs)
            h = torch.tanh(w @ x + flat[W:B])
            e = flat[B:V] @ h + flat[V] - 0.7
            (e * e).backward()
            flat.grad.tolist()
    return run


def torch_neuron():
    import torch
    torch.set_num_threads(1)
    at = [list(p.values()) for p in points(NEURON_AT, 64)]

    def run(n):
        for j in range(n):
            a, b, c, x, y = p = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in at[j & 63]]
            torch.sigmoid(a * x + b * y + c).backward()
            [t.grad.item() for t in p]
    return run


def measure(rows, runs: int, budget: float = 0.2) -> dict[str, float]:
    """Evaluations per second of each row (median over rounds)."""
    sizes = {}
    for name, fn in rows:  # as many evaluations as fit in the budget
        n, t = 1, 0.0
        while t < budget / 4:
            n *= 2
            t0 = time.process_time()
            fn(n)
            t = time.process_time() - t0
        sizes[name] = max(1, int(n * budget / max(t, 1e-9)))
    rates: dict[str, list[float]] = {name: [] for name, _ in rows}
    for _ in range(runs):
        for name, fn in rows:
            t0 = time.process_time()
            fn(sizes[name])
            rates[name].append(sizes[name] / (time.process_time() - t0))
    return {name: statistics.median(r) for name, r in rates.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    try:
        import torch
        version = torch.__version__.split("+")[0]
    except ImportError:
        torch, version = None, ""
    print("machine: %s, %d cores, Python %s%s\n" % (platform.machine(), os.cpu_count() or 0,
                                                 platform.python_version(),
                                                 ", PyTorch %s" % version if torch else ", no PyTorch"))
    cases = [("neuron, 5 inputs", NEURON, NEURON_AT, torch_neuron, None),
             ("network, 49 parameters", shapes.mlp(4, 8)[0], shapes.mlp_point(4, 8),
              lambda: torch_mlp(4, 8), 10.0),
             ("network, 501 parameters", shapes.mlp(3, 100)[0], shapes.mlp_point(3, 100),
              lambda: torch_mlp(3, 100), 10 / 10 ** 0.5)]
    verdicts = []
    for title, text, start, make_torch, target in cases:
        rows = program_rows(text, start)
        if torch:
            rows.append(("PyTorch, float64 tensors, 1 thread", make_torch()))
        rates = measure(rows, args.runs)
        print(title)
        base = rates.get("PyTorch, float64 tensors, 1 thread")
        for name, rate in rates.items():
            print("  %-44s %10.0f evaluations/s%s" % (name, rate, "   %6.2fx PyTorch" % (rate / base) if base else ""))
        if target and base:
            ratio, read = rates[rows[0][0]] / base, rates[rows[1][0]] / base
            verdicts.append("target at %s: Program >= %.1fx PyTorch: %.1fx (%s); reading the gradients: %.1fx (%s)"
                            % (title.split(", ")[1], target, ratio, "met" if ratio >= target else "NOT met",
                               read, "met" if read >= target else "NOT met"))
        print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
