"""--plot: the output over the steps, drawn to fit the terminal, on a log scale with --log."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from gradcli.stepcli import plot_chart

DESCENT = ["x*x - 6*x + 9", "x=0", "--step", "0.05", "--steps", "200", "--every", "100", "--descend", "--plot"]


def gradcli(*args: str, columns: int = 80, lines: int = 25, encoding: str = "utf-8") -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS=str(columns), LINES=str(lines), PYTHONIOENCODING=encoding)
    done = subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, env=env,
                          encoding=encoding, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def chart_of(out: str, label: str) -> list[str]:
    """The chart's lines: from its title to the blank line before the summary."""
    lines = out.splitlines()
    top = next(k for k, line in enumerate(lines) if line.strip().startswith(label + " over the steps"))
    end = lines.index("", top)
    return lines[top:end]


@pytest.mark.parametrize("columns, lines", [(40, 16), (80, 25), (200, 60)])
def test_the_chart_fills_the_terminals_width_and_half_its_height_up_to_24_lines(columns, lines):
    chart = chart_of(gradcli(*DESCENT, columns=columns, lines=lines).stdout, "x*x - 6*x + 9")
    assert max(len(line) for line in chart) == columns  # the frame's right edge in the last column
    assert len(chart) == min(24, lines // 2)  # at most 24 lines, so a tall terminal keeps the steps in view
    # The axes say what is plotted: the steps below, from 0 to 200, and the output on the left.
    # (x*x - 6*x + 9 is longer than the 12 columns under the value axis: "value", the title's)
    assert chart[-1].split() == ["value", "step"]
    steps = [int(t) for t in chart[-2].split()]
    assert steps[0] == 0 and steps[-1] == 200 and steps == sorted(steps)


def test_the_chart_without_box_drawing_characters_stays_in_an_ascii_terminal():
    for columns in (40, 80, 200):
        out = gradcli(*DESCENT, columns=columns, encoding="ascii").stdout
        chart = chart_of(out, "x*x - 6*x + 9")[1:]
        assert chart and max(len(line) for line in chart) <= columns
        assert chart[0].split() == ["9", "|*"] and chart[-1].split() == ["step", "0", "200"]


def test_log_scale_marks_the_powers_of_ten_the_descent_passes():
    # x*x from x = 3 with step 0.1: x shrinks by 0.8 a step, so the output is 9 * 0.64^k.
    out = gradcli("x*x", "x=3", "--step", "0.1", "--steps", "100", "--every", "50", "--descend", "--plot",
                  "--log", columns=60, lines=30).stdout
    chart = chart_of(out, "x*x")
    assert chart[0].strip() == "x*x over the steps (log scale)"
    ticks = [float(line.split("┤")[0]) for line in chart if "┤" in line]
    low, high = 9 * 0.64 ** 100, 9.0
    assert ticks == sorted(ticks, reverse=True) and all(low <= t <= high for t in ticks)
    exponents = [math.log10(t) for t in ticks]
    assert all(e == round(e) for e in exponents) and len(ticks) >= 3
    assert round(exponents[-1]) == math.floor(math.log10(high)) - 15  # 1e-15, the lowest power passed with room
    # The first point is at the top left and the last at the bottom right.
    rows = [line.split("│", 1)[1] if "│" in line[:8] else line.split("┤", 1)[1] for line in chart[2:-3]]
    assert rows[0][0] != " " and rows[-1].rstrip("│")[-1] != " "


def test_log_scale_needs_values_above_zero_and_says_so():
    out = gradcli(*DESCENT, "--log").stdout
    assert "linear scale: a log scale needs every value above 0, and the output reaches" in out
    assert "(log scale)" not in out


def test_log_alone_is_the_chart_on_a_log_scale():
    args = ["x*x", "x=3", "--step", "0.1", "--steps", "100", "--every", "50", "--descend"]
    assert gradcli(*args, "--log").stdout == gradcli(*args, "--plot", "--log").stdout
    assert "(log scale)" in gradcli(*args, "--log").stdout


def test_plot_chart_is_sized_as_asked():
    points = [(k, 1.0 / (1 + k)) for k in range(0, 1001, 10)]
    for width, height in ((20, 8), (57, 13), (131, 24)):
        lines, note = plot_chart(points, "f", width, height)
        assert note == "" and len(lines) == height and max(map(len, lines)) == width


@pytest.mark.parametrize("columns", [10, 40, 80, 200])
def test_the_value_axis_says_what_is_plotted_and_never_cuts_the_expression(columns):
    # A long output: the y label was cut to "sig(a*x+b..." and, in a narrow
    # terminal, ran into the step label ("sig(a*x+bstep").
    label = "sig(a*x+b*y+c)*2 + tanh(a*x)"
    out = gradcli(label, "a=1", "b=2", "c=-3", "x=-1", "y=3", "--step", "0.01", "--steps", "5", "--plot",
                  columns=columns, lines=3).stdout
    lines = out.splitlines()
    top = next(k for k, line in enumerate(lines) if line.strip().startswith("sig("))
    end = lines.index("", top)
    chart = lines[top:end]
    assert not any("..." in line for line in chart)
    assert " ".join(line.strip() for line in chart if "┌" not in line and "┤" not in line
                    ).startswith(label + " over the steps")  # the whole title, wrapped if need be
    assert chart[-1].split() == ["value", "step"]
    # A short output names itself there.
    short = chart_of(gradcli("x*x", "x=3", "--step", "0.1", "--steps", "4", "--descend", "--plot",
                             columns=columns, lines=3).stdout, "x*x")
    assert short[-1].split() == ["x*x", "step"]


def test_log_scale_in_an_ascii_terminal_too():
    # Without box-drawing characters --log was dropped in silence: a linear chart, titled as one.
    out = gradcli("x*x", "x=3", "--step", "0.1", "--steps", "40", "--descend", "--plot", "--log",
                  encoding="ascii").stdout
    chart = chart_of(out, "x*x")
    assert chart[0] == "x*x over the steps (log scale)"
    rows = [line.split("|", 1)[1] for line in chart[1:] if "|" in line]
    # 9 * 0.64^k falls by the same factor each step: a straight line on a log scale, so the
    # curve's mark drops about as many rows in the first half of the steps as in the second.
    depth = [min(r for r, row in enumerate(rows) if len(row) > c and row[c] == "*") for c in (0, 20, 40)]
    assert depth[0] == 0 and depth[2] == len(rows) - 1
    assert abs((depth[1] - depth[0]) - (depth[2] - depth[1])) <= 1
    top, bottom = float(chart[1].split("|")[0]), float(rows and chart[len(rows)].split("|")[0])
    assert math.isclose(top, 9.0) and math.isclose(bottom, 9 * 0.64 ** 40, rel_tol=1e-5)


def test_ascii_log_scale_of_a_negative_output_says_why_it_is_linear():
    out = gradcli("x-5", "x=3", "--step", "0.1", "--steps", "4", "--plot", "--log", encoding="ascii").stdout
    assert "x-5 over the steps\n" in out
    assert "linear scale: a log scale needs every value above 0, and the output reaches -2" in out
    # a short run's step axis keeps its ends apart ("step 04" was step 0 to 4)
    assert chart_of(out, "x-5")[-2].split() == ["step", "0", "4"]


def test_an_array_programs_chart_is_drawn_alike_and_takes_log_too():
    # sum(x*x) from x = [1, 2] with step 0.1: each element shrinks by 0.8 a step, the output is 5 * 0.64^k.
    args = ["sum(x*x)", "x=[1,2]", "--step", "0.1", "--steps", "20", "--every", "10", "--descend"]
    plot = chart_of(gradcli(*args, "--plot", columns=60, lines=30).stdout, "sum(x*x)")
    assert plot[0].strip() == "sum(x*x) over the steps" and max(len(line) for line in plot) == 60
    chart = chart_of(gradcli(*args, "--log", columns=60, lines=30).stdout, "sum(x*x)")
    assert chart[0].strip() == "sum(x*x) over the steps (log scale)"
    ticks = [float(line.split("┤")[0]) for line in chart if "┤" in line]
    assert ticks and all(5 * 0.64 ** 20 <= t <= 5 for t in ticks)
    assert all(math.log10(t) == round(math.log10(t)) for t in ticks)
