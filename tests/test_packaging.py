"""Packaging: the metadata is complete, and (marked slow, run once by
.ci/run) the wheel and sdist build and carry the grammar, examples and
license; the wheel runs on its own."""
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import gradcli

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_metadata_is_complete():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert PROJECT["readme"] == "README.md" and PROJECT["requires-python"] == ">=3.10"
    classifiers = PROJECT["classifiers"]
    assert "Environment :: Console" in classifiers and "Typing :: Typed" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the SPDX expression says it
    assert {"Homepage", "Documentation"} <= set(PROJECT["urls"])
    assert PROJECT["scripts"] == {"gradcli": "gradcli.cli:run"}
    assert (ROOT / "gradcli" / "py.typed").exists()


def test_changelog_has_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [%s]" % gradcli.__version__ in text and "## [Unreleased]" in text


def test_the_ci_script_runs_mypy_and_the_slow_tests_once():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "mypy gradcli" in ci and "pytest -m slow" in ci


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return out, done.stdout + done.stderr


@pytest.mark.slow
def test_build_is_clean(dist):
    _, log = dist
    warnings = [line for line in log.splitlines() if "warning" in line.lower()
                and "byte-compiling is disabled" not in line]  # PYTHONDONTWRITEBYTECODE, not us
    assert warnings == []


@pytest.mark.slow
def test_sdist_has_the_grammar_examples_docs_tests_and_license(dist):
    out, _ = dist
    (sdist,) = out.glob("gradcli-*.tar.gz")
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for path in ("grammar/gradcli.lark", "examples/neuron.js", "examples/cs231n.py", "docs/neuron.svg",
                 "LICENSE", "CHANGELOG.md", "README.md", "tests/test_api.py", "gradcli/py.typed",
                 "pyproject.toml", "setup.py", "docs/architecture.md"):
        assert path in names, path


@pytest.mark.slow
def test_wheel_metadata_and_files(dist):
    out, _ = dist
    (wheel,) = out.glob("gradcli-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = Parser().parsestr(z.read("gradcli-%s.dist-info/METADATA" % gradcli.__version__).decode())
    assert "gradcli/grammar/gradcli.lark" in names and "gradcli/py.typed" in names
    assert "gradcli/_table.py" in names  # lark's LALR table, made by setup.py while building
    assert "gradcli-%s.dist-info/licenses/LICENSE" % gradcli.__version__ in names
    assert meta["License-Expression"] == "MIT"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "Environment :: Console" in meta.get_all("Classifier")
    assert meta["Requires-Python"] == ">=3.10"
    assert "# gradcli" in meta.get_payload()  # the README is the long description


@pytest.mark.slow
def test_the_wheel_alone_computes_the_neuron(dist, tmp_path):
    # Installed into an empty folder (its dependencies from this environment):
    # the grammar must come from inside the wheel, not from the source tree.
    out, _ = dist
    (wheel,) = out.glob("gradcli-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    env = dict(os.environ, PYTHONPATH=str(target), NO_COLOR="1")
    done = subprocess.run([sys.executable, "-c", "import gradcli; print(gradcli.__file__); "
                           "print(round(gradcli.grad('sig(a*x+b*y+c)', a=1, b=2, c=-3, x=-1, y=3).value, 4))"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    where, value = done.stdout.split()
    assert where.startswith(str(target)) and value == "0.8808"
