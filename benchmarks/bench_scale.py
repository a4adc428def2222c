"""Scale: programs of 1e3 ... 1e6 operations, end to end, with peak memory.

    python benchmarks/bench_scale.py [--max 1e6] [--repeat 3] [--timeout 300]

Two shapes (benchmarks/shapes.py): `wide`, a generated file binding w_i,
x_i, b_i followed by the sum of sig(w_i*x_i + b_i); and `chain`,
((x + a) * b + a) * b ... nested ops/2 parentheses deep.

gradcli: the whole command `gradcli -f FILE --json` (the node list
included; --no-nodes leaves it out), from text, interpreter start included
(best of --repeat runs). PyTorch and micrograd,
where installed: the same graph built in memory from Python (no parsing),
then backward, timed inside the process (imports excluded), one run. Each
runs in its own process; peak memory is that process's maximum RSS.
Targets, with the node list: 1e5 operations in at most 0.6 s, 1e6 in at
most 5 s and 400 MB, and at least 2.5x faster than PyTorch; each figure is
printed beside its target, and the peak memory beside PyTorch's.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = ("wide", "chain")

PY = sys.executable
GRADCLI = str(Path(PY).with_name("gradcli"))

# Children that build the same graph in memory and print their own time.
TORCH = r"""
import sys, time, torch
shape, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
if shape == "wide":
    k = max(1, n // 4)
    w = [torch.tensor(((i * 7919) % 200 - 100) / 1000, dtype=torch.float64, requires_grad=True) for i in range(k)]
    x = [torch.tensor(((i * 104729) % 200 - 100) / 100, dtype=torch.float64, requires_grad=True) for i in range(k)]
    b = [torch.tensor(((i * 1299709) % 200 - 100) / 1000, dtype=torch.float64, requires_grad=True) for i in range(k)]
    out = torch.sigmoid(w[0] * x[0] + b[0])
    for i in range(1, k):
        out = out + torch.sigmoid(w[i] * x[i] + b[i])
else:
    x, a, bb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, 0.25, 0.999))
    out = x
    for _ in range(max(1, n // 2)):
        out = (out + a) * bb
out.backward()
print(time.perf_counter() - t)
"""

MICROGRAD = r"""
import sys, time
from micrograd.engine import Value
shape, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
if shape == "wide":
    k = max(1, n // 4)
    out = None
    for i in range(k):
        w = Value(((i * 7919) % 200 - 100) / 1000)
        x = Value(((i * 104729) % 200 - 100) / 100)
        b = Value(((i * 1299709) % 200 - 100) / 1000)
        term = (w * x + b).relu()  # micrograd (PyPI) has no sigmoid nor exp: relu, same op count
        out = term if out is None else out + term
else:
    x, a, bb = Value(0.5), Value(0.25), Value(0.999)
    out = x
    for _ in range(max(1, n // 2)):
        out = (out + a) * bb
out.backward()
print(time.perf_counter() - t)
"""


def run(argv: list[str], timeout: float) -> tuple[float | None, float, str, float]:
    """(wall seconds or None, peak RSS in MB, last line of output or the error,
    CPU seconds: user + system, which a busy machine inflates less than wall)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return None, usage.ru_maxrss / 1024, "timeout after %.0f s" % timeout, 0.0
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        # Only the ends: reading megabytes of JSON here would grow this
        # process, and with it the next child's measured peak.
        text, problem = (_tail(f) for f in (out, err))
    mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        lines = problem.splitlines() or ["exit %d" % proc.returncode]
        return None, mb, lines[-1].split(":")[0][:40], cpu  # the exception's name
    return wall, mb, text.splitlines()[-1] if text else "", cpu


def _tail(f, size: int = 4096) -> str:
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - size))
    return f.read().decode(errors="replace").strip()


def available(module: str) -> bool:
    return subprocess.run([PY, "-c", "import " + module], capture_output=True).returncode == 0


def cell(seconds: float | None, mb: float, note: str) -> str:
    return "%.3f s, %.0f MiB" % (seconds, mb) if seconds is not None else note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--no-nodes", action="store_true", help="time gradcli with --no-nodes")
    args = ap.parse_args()
    flags = ["--json"] + (["--no-nodes"] if args.no_nodes else [])
    verdicts = []
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max]
    others = [(name, code) for name, module, code in (("PyTorch", "torch", TORCH),
                                                      ("micrograd", "micrograd", MICROGRAD))
              if available(module)]
    print("Scale, Python %s, %d cores. gradcli: whole command from text, best of %d; "
          "others: graph built in memory, then backward, in-process time.\n"
          % (sys.version.split()[0], os.cpu_count() or 0, args.repeat))
    header = ["shape", "operations", "text", "gradcli"] + [name for name, _ in others] + ["gradcli time vs 10x fewer"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for shape in SHAPES:
            previous = None
            for n in sizes:
                path = Path(tmp) / ("%s_%d.txt" % (shape, n))
                # Written by a child: a child's peak memory (ru_maxrss) starts
                # from its parent's at fork, so this process must stay small.
                subprocess.run([PY, "-c", "import sys; sys.path.insert(0, %r); import shapes; "
                                "open(%r, 'w').write(shapes.%s(%d))"
                                % (str(Path(__file__).resolve().parent), str(path), shape, n)],
                               check=True)
                best, peak, note, best_cpu = None, 0.0, "", 0.0
                for _ in range(args.repeat):
                    t, mb, note, cpu = run([GRADCLI, "-f", str(path)] + flags, args.timeout)
                    if t is None:
                        break
                    if best is None or t < best:
                        best, best_cpu = t, cpu
                    peak = max(peak, mb)
                row = [shape, "{:,}".format(n), "%.1f MB" % (path.stat().st_size / 1e6),
                       cell(best, peak, note) + (" (CPU %.3f s)" % best_cpu if best is not None else "")]
                torch_t = torch_mb = None
                for name, code in others:
                    t, mb, out, _ = run([PY, "-c", code, shape, str(n)], args.timeout)
                    row.append(cell(float(out), mb, "") if t is not None else "fails: " + out)
                    if name == "PyTorch" and t is not None:
                        torch_t, torch_mb = float(out), mb
                row.append("%.1fx" % (best / previous) if best and previous else "")
                previous = best
                print("| " + " | ".join(row) + " |", flush=True)
                if best is not None:
                    verdicts += targets(shape, n, best, peak, torch_t, torch_mb, best_cpu)
    print()
    for line in verdicts:
        print(line)


def targets(shape: str, n: int, seconds: float, mb: float, torch_t: float | None,
            torch_mb: float | None, cpu: float = 0.0) -> list[str]:
    """Each figure beside its target (judged on wall time, the user's wait;
    the CPU time, which other jobs inflate less, is printed beside it)."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"
    out = []
    limit = {100_000: 0.6, 1_000_000: 5.0}.get(n)
    if limit:
        out.append("target: %s of %s operations in <= %.1f s: %.2f s, CPU %.2f s (%s)"
                   % (shape, "{:,}".format(n), limit, seconds, cpu, verdict(seconds <= limit)))
    if n == 1_000_000:
        mb_decimal = mb * 1.048576
        out.append("target: %s of 1,000,000 operations in <= 400 MB: %.0f MB (%s)%s"
                   % (shape, mb_decimal, verdict(mb_decimal <= 400),
                      "; PyTorch's peak: %.0f MB" % (torch_mb * 1.048576) if torch_mb else ""))
    if torch_t and n >= 100_000:
        out.append("target: %s of %s operations >= 2.5x faster than PyTorch: %.2fx (%s)"
                   % (shape, "{:,}".format(n), torch_t / seconds, verdict(torch_t / seconds >= 2.5)))
    return out


if __name__ == "__main__":
    main()
