"""How much a compiled Program saves over gradcli.grad per evaluation.

Run by hand: python benchmarks/api_program.py
"""
import time

import gradcli


def per_call(fn, n):
    start = time.perf_counter()
    for k in range(n):
        fn(k)
    return (time.perf_counter() - start) / n


def chain(length):
    return "x = 1\n" + "\n".join("x = sin(x) + 0.5*x" for _ in range(length)) + "\nx"


CASES = [
    ("neuron", "sig(a*x+b*y+c)", dict(a=1, b=2, c=-3, y=3), 2000),
    ("chain of 100", chain(100), {}, 200),
    ("chain of 1000", chain(1000), {}, 20),
]

print("%-14s %8s %14s %14s %8s" % ("program", "nodes", "grad() us", "Program() us", "speedup"))
for name, text, fixed, n in CASES:
    program = gradcli.Program(text)
    nodes = len(program.bind(dict(fixed, x=0.0)))
    t_grad = per_call(lambda k: gradcli.grad(text, **fixed, x=k * 1e-3), n)
    t_prog = per_call(lambda k: program(**fixed, x=k * 1e-3), n)
    print("%-14s %8d %14.1f %14.1f %7.1fx" % (name, nodes, t_grad * 1e6, t_prog * 1e6, t_grad / t_prog))
