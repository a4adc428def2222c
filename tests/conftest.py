"""Shared helpers. GRADCLI_HYPOTHESIS_EXAMPLES scales the property tests
(default 100 per test, which keeps the suite fast on a small machine).
Under CI (CI set) the search is derandomized, so a submission's result does
not depend on the draw; anywhere else each run searches afresh."""
from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
CASES_DIR = Path(__file__).resolve().parent / "cases"

EXAMPLES = int(os.environ.get("GRADCLI_HYPOTHESIS_EXAMPLES", "100"))

settings.register_profile(
    "gradcli", max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile("gradcli")


def examples() -> list[Path]:
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.is_file() and not p.name.startswith("."))
