"""The pictures of a big graph: how long --tree takes to build its tree, and
--draw's layout of the neuron, each beside its target.

    python benchmarks/bench_pictures.py

Targets: the tree of a 100,000-deep chain (x_k = sin(x_{k-1}) * x, x forking
into every gate) built in well under a second (0.5 s), and in time linear in
the depth (the 100,000-deep chain at most 12x the 10,000-deep one, whose
tree is as big as the picture shows). --draw's layout of the biggest circuit
it draws without --all (300 gates, the same chain: x feeds 150 gates) within
2 s, with each Graphviz it finds (graphviz-pure, and the system's dot).
"""
from __future__ import annotations

import time

import gradcli
from gradcli.draw import tree


def chain(n: int) -> str:
    return "\n".join(["x = 0.5", "x1 = sin(x)"] + ["x%d = sin(x%d) * x" % (k, k - 1) for k in range(2, n + 1)])


def best(f, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    figures = {}
    for n in (10_000, 100_000):
        (r,) = gradcli.evaluate(chain(n))
        figures[n] = best(lambda: tree(r))
        print("--tree of a %7d-deep chain: %.3f s" % (n, figures[n]) + ("   target < 0.5 s" if n == 100_000 else ""))
    print("ratio 100,000 / 10,000: %.1fx   target <= 12x (linear: 10x)" % (figures[100_000] / figures[10_000]))
    from gradcli.draw import DRAW_SPLIT, dot, layout_programs, render
    (r,) = gradcli.evaluate(chain(150))
    source = dot([r], split=DRAW_SPLIT)
    for program in layout_programs():
        for fmt in ("svg", "png"):
            seconds = best(lambda: render(source, fmt, program), runs=1)
            print("--draw of a 299-gate chain, %s by %s: %.2f s   target < 2 s" % (fmt, program, seconds))


if __name__ == "__main__":
    main()
