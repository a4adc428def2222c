"""gradcli in its process environment: closed and full streams, a reader
that goes away, Ctrl-C at any moment, input that never ends, encodings that
cannot show every character. These drive the installed `gradcli` command
(the one next to sys.executable), as a shell would."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRADCLI = str(Path(sys.executable).with_name("gradcli"))
N = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]

pytestmark = pytest.mark.skipif(not Path(GRADCLI).exists(), reason="gradcli is not installed next to python")


def run(*args, timeout=60, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("capture_output", "stdout" not in kw and "stderr" not in kw)
    return subprocess.run([GRADCLI, *args], timeout=timeout, **kw)


def test_trailing_blanks_take_linear_time(tmp_path):
    blanks = tmp_path / "ws.txt"
    blanks.write_text("x" + " " * 200_000)  # no final newline
    out = run("-f", str(blanks), "x=1", timeout=120, text=True)
    assert out.returncode == 0, out.stderr
    assert "output x = 1" in out.stdout
    # the same on the command line (one argument holds at most 128 KiB)
    out = run("x" + " " * 100_000, "x=1", timeout=120, text=True)
    assert out.returncode == 0 and "output x = 1" in out.stdout
    out = run("x+" + " " * 100_000, "x=1", timeout=120, text=True)
    assert out.returncode == 2 and "the input ends too early" in out.stderr
