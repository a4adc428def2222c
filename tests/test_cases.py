"""Runs every line of tests/cases/*.txt (format in tests/cases/README.txt)."""
from __future__ import annotations

import math
import re

import pytest

import gradcli
from gradcli import GradcliError
from gradcli.cli import parse_binding

from .conftest import CASES_DIR


def load():
    cases = []
    for path in sorted(CASES_DIR.glob("*.txt")):
        if path.name == "README.txt":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                cases.append(pytest.param(line, id="%s:%d" % (path.stem, n)))
    return cases


def matches(got: float, written: str) -> bool:
    """Half a unit of the last written digit; whole numbers exactly."""
    want = float(written)
    if re.fullmatch(r"[-+]?\d+", written):
        return got == pytest.approx(want, rel=1e-12, abs=1e-300)
    mantissa, _, exponent = written.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    unit = 10.0 ** (-decimals + (int(exponent) if exponent else 0))
    return abs(got - want) <= 0.5 * unit * (1 + 1e-9)


def check_output(result, expected: str, line: str):
    words = expected.split()
    assert words, "no expected value in: " + line
    assert matches(result.value, words[0]), (line, "value", result.value, words[0])
    want = dict(parse_word(w) for w in words[1:])
    assert set(want) == set(result.gradients), (line, "inputs", sorted(result.gradients))
    for name, written in want.items():
        got = result.gradients[name]
        assert matches(got, written), (line, name, got, written)


def parse_word(word: str) -> tuple[str, str]:
    name, _, value = word.partition("=")
    return name, value


def test_there_are_cases():
    assert len(load()) >= 50


@pytest.mark.parametrize("line", load())
def test_case(line):
    program, bindings_text, expected = (part.strip() for part in line.rsplit(";", 2))
    bindings = dict(parse_binding(w) for w in bindings_text.split())
    expected = expected.strip()
    if expected.startswith("error"):
        _, code, words = expected.split(" ", 2)
        with pytest.raises(GradcliError) as info:
            gradcli.evaluate(program, bindings)
        assert info.value.exit_code == int(code)
        assert words in info.value.render()
        return
    results = gradcli.evaluate(program, bindings)
    outputs = [e.strip() for e in expected.split("|")]
    assert len(results) == len(outputs), (line, [r.label for r in results])
    for result, want in zip(results, outputs):
        assert not any(math.isnan(v) for v in result.gradients.values())
        check_output(result, want, line)
