"""The examples in gradcli's docstrings, run as tests against the installed
package (so CI's non-editable install checks the same text users read)."""
import doctest
import importlib
import pkgutil

import pytest

import gradcli

MODULES = sorted(m.name for m in pkgutil.iter_modules(gradcli.__path__, "gradcli.")
                 if m.name not in ("gradcli.__main__",))


@pytest.mark.parametrize("name", ["gradcli"] + MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert failures == 0


def test_the_public_api_has_examples():
    for name in ("gradcli", "gradcli.api", "gradcli.formats"):
        tests = doctest.DocTestFinder().find(importlib.import_module(name))
        assert sum(len(t.examples) for t in tests) >= 3, name
