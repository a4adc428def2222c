"""gradcli's build: the package as pyproject.toml declares it, plus lark's
LALR table for the grammar, made now so that explaining a syntax error does
not have to build it (gradcli/parse.py falls back to building it when the
table does not fit the lark it runs with)."""
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithTable(build_py):
    def run(self) -> None:
        super().run()
        sys.path.insert(0, str(HERE))
        try:
            from gradcli.parse import table_source
        finally:
            sys.path.pop(0)
        grammar = (HERE / "grammar" / "gradcli.lark").read_text("utf-8")
        target = Path(self.build_lib) / "gradcli" / "_table.py"
        target.write_text(table_source(grammar), "utf-8")


setup(cmdclass={"build_py": BuildWithTable})
