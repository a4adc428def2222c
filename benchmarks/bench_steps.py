#!/usr/bin/env python3
"""The step loop's speed: steps per second for the tutorials' neuron,
sig(a*x + b*y + c), with every input moving by 0.01 * its gradient.

    python benchmarks/bench_steps.py [--runs 9] [--steps 100000]

Run by hand, not in CI. In one process: gradcli's compiled loop, gradcli's
interpreter loop, the same loop written by hand in straight-line Python (the
tutorials' "backprop ninja" style: the practical ceiling for pure Python),
and micrograd and PyTorch on scalars where they are installed. Then whole
commands, interpreter start included: gradcli doing 200,000 steps against a
Python script running the hand-written loop for 200,000 steps. Then the
network of benchmarks/shapes.py at 49 and 501 parameters, its data frozen,
against its loop written out by hand. Every figure is the median of several
runs (in-process loops in CPU time, whole commands by the clock), and the
ratios are taken within this one run. Targets: at least 0.9x
the hand-written loop at each size; the whole command at most 1.3x the
hand-written script.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

NEURON = "sig(a*x+b*y+c)"
START = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
STEP = 0.01

HAND_WRITTEN = '''
from math import exp


def neuron_steps(n, a, b, c, x, y, step):
    """The neuron's forward pass, backward pass and update, written out by hand."""
    for _ in range(n):
        q = a * x + b * y + c
        s = 1.0 / (1.0 + exp(-q))
        dq = s * (1.0 - s)
        da = x * dq; db = y * dq; dc = dq; dx = a * dq; dy = b * dq
        a += step * da; b += step * db; c += step * dc; x += step * dx; y += step * dy
    q = a * x + b * y + c
    return 1.0 / (1.0 + exp(-q)), (a, b, c, x, y)
'''


def hand_written():
    namespace: dict = {}
    exec(HAND_WRITTEN, namespace)
    return namespace["neuron_steps"]


def bench_hand(n):
    f = hand_written()
    return lambda: f(n, *START.values(), STEP)[0]


def bench_gradcli(n, compiled=True):
    import gradcli
    from gradcli.steps import Ascent
    g = gradcli.compile(NEURON, START)
    # Building the loop (and compiling it) is part of the time.
    return lambda: Ascent(g, STEP, n, every=n, compiled=compiled).run().value


def bench_micrograd(n):
    from micrograd.engine import Value

    def sig(self):  # micrograd has no exp or sigmoid; one more op, written its way
        s = 1.0 / (1.0 + math.exp(-self.data))
        out = Value(s, (self,), "sig")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def run():
        a, b, c, x, y = (Value(v) for v in START.values())
        params = (a, b, c, x, y)
        for _ in range(n):
            s = sig(a * x + b * y + c)
            for p in params:
                p.grad = 0.0
            s.backward()
            for p in params:
                p.data += STEP * p.grad
        return sig(a * x + b * y + c).data
    return run


def bench_torch(n):
    import torch
    torch.set_num_threads(1)

    def run():
        params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START.values()]
        a, b, c, x, y = params
        for _ in range(n):
            s = torch.sigmoid(a * x + b * y + c)
            s.backward()
            with torch.no_grad():
                for p in params:
                    p += STEP * p.grad
                    p.grad = None
        with torch.no_grad():
            return float(torch.sigmoid(a * x + b * y + c))
    return run


def command_cpu(argv, env=None):
    """CPU seconds (user + system, the finished child's own account) of one
    run of argv, its output piped."""
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    child.stdout.read()  # a few lines: stderr cannot fill its pipe meanwhile
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped here, not by Popen
    if status != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(argv), err.decode()))
    return usage.ru_utime + usage.ru_stime


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers)] + [line(r) for r in rows])


def in_process(n, runs):
    print("In one process: the neuron, %d steps (each step: forward, backward, update of 5 inputs)" % n)
    print("medians of %d runs; slower loops run fewer steps, scaled\n" % runs)
    cases = [("hand-written straight-line Python (ceiling)", bench_hand, n),
             ("gradcli, compiled loop", bench_gradcli, n),
             ("gradcli, interpreter loop", lambda m: bench_gradcli(m, compiled=False), max(1, n // 20))]
    try:
        import micrograd  # noqa: F401
        cases.append(("micrograd 0.1.0", bench_micrograd, max(1, n // 50)))
    except ImportError:
        print("(micrograd is not installed: pip install micrograd)")
    try:
        import torch
        cases.append(("PyTorch %s, float64 scalars, 1 thread" % torch.__version__.split("+")[0], bench_torch,
                      max(1, n // 200)))
    except ImportError:
        print("(PyTorch is not installed)")
    rows, rates, best, values = [], {}, {}, {}
    fns = [(name, make(steps), steps) for name, make, steps in cases]
    times: dict[str, list[float]] = {name: [] for name, _, _ in fns}
    for name, fn, _ in fns:
        values[name] = fn()  # warm up: imports, caches
    # Round after round, each loop once: a shared machine's load then falls on all alike.
    for _ in range(runs):
        for name, fn, _ in fns:
            t = time.process_time()
            fn()
            times[name].append(time.process_time() - t)
    for name, _, steps in fns:
        rates[name] = steps / statistics.median(times[name])
        best[name] = steps / min(times[name])
    ceiling, ceiling_best = rates[cases[0][0]], best[cases[0][0]]
    for name, _, steps in fns:
        rows.append((name, "%d" % steps, "%.0f" % rates[name], "%.3f" % (rates[name] / ceiling),
                     "%.1fx" % (ceiling / rates[name]), "%.3f" % (best[name] / ceiling_best)))
    print(table(rows, ("loop", "steps", "steps/s (median)", "speed vs hand", "slower by",
                       "vs hand, best runs")))
    hand_value, compiled_value = values[cases[0][0]], values[cases[1][0]]
    print("\nfinal output after %d steps: hand-written %r, gradcli compiled %r (%s)"
          % (n, hand_value, compiled_value, "identical" if hand_value == compiled_value else "DIFFERENT"))
    return rates[cases[1][0]] / ceiling


def whole_commands(runs):
    steps = 200_000
    bindings = ["%s=%g" % kv for kv in START.items()]
    exe = sys.executable
    gradcli = shutil.which("gradcli", path=os.path.dirname(exe)) or shutil.which("gradcli")
    base = [gradcli] if gradcli else [exe, "-m", "gradcli"]
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "hand_loop.py")
        with open(script, "w") as f:
            f.write(HAND_WRITTEN + "\nprint(neuron_steps(%d, %s, %r))\n"
                    % (steps, ", ".join(repr(v) for v in START.values()), STEP))
        cases = [
            ("python -c pass", [exe, "-c", "pass"]),
            ("import click, lark, rich.console, rich.table", [exe, "-c", "import click, lark, rich.console, rich.table"]),
            ("hand-written loop script, %d steps" % steps, [exe, script]),
            ("gradcli NEURON (table)", base + [NEURON] + bindings),
            ("gradcli NEURON --json", base + [NEURON] + bindings + ["--json"]),
            ("gradcli NEURON --step 0.01 --steps %d --every %d --json" % (steps, steps),
             base + [NEURON] + bindings + ["--step", "0.01", "--steps", str(steps), "--every", str(steps), "--json"]),
        ]
        print("\nWhole commands, interpreter start included (median CPU time, user + system, of %d "
              "interleaved runs, output piped; load %.1f)\n" % (runs, os.getloadavg()[0]))
        # As installed: bytecode cached (pip writes it at install; the warm-up run writes it here).
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
        samples = {name: [] for name, _ in cases}
        for name, argv in cases:
            command_cpu(argv, env)  # warm up: the file cache, the bytecode cache
        for _ in range(runs):  # round after round, so the machine's drift falls on all alike
            for name, argv in cases:
                samples[name].append(command_cpu(argv, env))
        times = {name: statistics.median(t) for name, t in samples.items()}
    hand = times[cases[2][0]]
    floor = times[cases[1][0]]
    rows = [(name, "%.1f" % (t * 1000), "%.2f" % (t / hand), "%.2f" % (t / floor)) for name, t in times.items()]
    print(table(rows, ("command", "ms", "vs hand script", "vs import floor")))
    whole = times[cases[-1][0]]
    startup = times[cases[4][0]]
    print("\ngradcli's 200,000 steps take %.1f ms beyond its own start-up (--json: %.1f ms); the hand-written "
          "script's loop takes %.1f ms beyond python -c pass"
          % ((whole - startup) * 1000, startup * 1000, (hand - times[cases[0][0]]) * 1000))
    return whole / hand


def networks(runs):
    """The step loop at 49 and 501 parameters (benchmarks/shapes.py's network, the
    data frozen), against the same loop written out by hand."""
    import gradcli
    from gradcli.steps import Ascent
    sys.path.insert(0, HERE)
    import shapes
    print("\nThe network, descent on its squared error, the data frozen (medians of %d interleaved runs;"
          " gradcli's time includes generating and compiling its loop)\n" % runs)
    rows, ratios = [], []
    for inputs, hidden, n in ((4, 8, 20_000), (3, 100, 20_000)):
        text, data = shapes.mlp(inputs, hidden)
        g = gradcli.compile(text)
        hands = []
        for exact in (False, True):
            namespace: dict = {}
            exec(shapes.mlp_hand(inputs, hidden, exact=exact), namespace)
            hands.append(namespace["mlp_steps"])
        point = shapes.mlp_point(inputs, hidden)
        times: dict[str, list[float]] = {"hand": [], "exact": [], "gradcli": [], "build": []}
        for _ in range(runs):
            t = time.process_time()
            hands[0](n, STEP, **point)
            times["hand"].append(time.process_time() - t)
            t = time.process_time()
            want, inputs_want = hands[1](n, STEP, **point)
            times["exact"].append(time.process_time() - t)
            t = time.process_time()
            asc = Ascent(g, STEP, n, every=n, descend=True, freeze=data)
            built = time.process_time()
            last = asc.run()
            times["gradcli"].append(time.process_time() - t)
            times["build"].append(built - t)
            # The same numbers as the loop written with the op table's tanh', bit for bit.
            assert last.value == want and all(last.inputs[k] == v for k, v in inputs_want.items())
        hand_t, exact_t, ours, build = (statistics.median(times[k]) for k in ("hand", "exact", "gradcli", "build"))
        ratio = hand_t / ours
        ratios.append(ratio)
        params = shapes.mlp_parameters(inputs, hidden)
        rows.append(("%d parameters (%d -> %d -> 1)" % (params, inputs, hidden), "%d" % n,
                     "%.0f" % (n / hand_t), "%.0f" % (n / ours), "%.3f" % ratio,
                     "%.3f" % (hand_t / (ours - build)), "%.3f" % (exact_t / ours), "%.1f ms" % (build * 1000)))
    print(table(rows, ("network", "steps", "hand steps/s", "gradcli steps/s", "speed vs hand",
                       "loop alone vs hand", "vs hand, gradcli's tanh'", "making the loop")))
    print("\n(\"hand\" takes tanh' as 1 - h*h, as the tutorials do; \"gradcli's tanh'\" is the same loop with "
          "the op table's 1/cosh(z)^2, which gives gradcli's numbers bit for bit)")
    return ratios


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--no-commands", action="store_true", help="skip the whole-command timings")
    p.add_argument("--no-loops", action="store_true", help="skip the in-process loops")
    args = p.parse_args()
    print("machine: %s, %d cores, Python %s\n" % (platform.machine(), os.cpu_count() or 0, platform.python_version()))
    verdicts = []
    if not args.no_loops:
        loop = in_process(args.steps, args.runs)
        nets = networks(args.runs)
        for name, ratio in zip(("the neuron (5 inputs)", "49 parameters", "501 parameters"), [loop] + nets):
            verdicts.append("target: step loop at >= 0.9x hand-written straight-line Python, %s: %.3f (%s)"
                            % (name, ratio, "met" if ratio >= 0.9 else "NOT met"))
    if not args.no_commands:
        whole = whole_commands(args.runs)
        verdicts.append("target: the whole command, 200,000 steps, <= 1.3x the hand-written script: %.2fx (%s)"
                        % (whole, "met" if whole <= 1.3 else "NOT met"))
    print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
