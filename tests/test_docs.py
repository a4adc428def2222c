"""The documentation as a whole: README.md, every docs/*.md page and the pages
under examples/ (the tutorials' README). Each kind of sample is checked where
the code it shows is tested (console and sh samples in test_cli.py, Python in
test_api.py, sessions in test_repl.py); here, that no sample escapes those
checks and that every link leads somewhere."""
from __future__ import annotations

import re

import pytest

from . import docs

# Fenced blocks that the tests do not run: what they show is not gradcli's
# output (benchmark tables, the test-case format) or it is a command for the
# shell (sh: only its gradcli lines are run).
NOT_RUN = {"sh", "text"}
RUN = {"console", "python"}

# Pages other parts of the project write; a link to one may lead nowhere
# until it lands.
WRITTEN_WITH_THE_CODE = {"docs/architecture.md"}


def test_the_pages_are_the_readme_and_every_docs_page():
    names = [docs.name(p) for p in docs.pages()]
    assert names[0] == "README.md" and "docs/language.md" in names and "docs/api.md" in names


@pytest.mark.parametrize("block", list(docs.blocks()), ids=lambda b: b.where)
def test_every_sample_is_of_a_kind_the_tests_check(block):
    assert block.kind in RUN | NOT_RUN, "%s: a ```%s block is not checked by any test" % (block.where, block.kind)
    if block.kind == "text":
        # a command with its output is a console block (or a session), so that it is run
        assert not block.text.startswith("$ ") or block.text.startswith("$ gradcli -i\n"), block.where
    if block.kind == "python":
        assert ">>> " in block.text, "%s: python samples are doctests" % block.where


def slug(heading: str) -> str:
    """A heading's anchor, as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.*)$", docs.prose(page), re.M)}


def links():
    found = []
    for page in docs.pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", docs.prose(page)):
            if not re.match(r"[a-z]+:", target):  # not http:, mailto:, ...
                found.append(pytest.param(page, target, id="%s->%s" % (docs.name(page), target)))
    return found


@pytest.mark.parametrize("page, target", links())
def test_every_link_between_the_pages_leads_somewhere(page, target):
    path, _, anchor = target.partition("#")
    goal = (page.parent / path).resolve() if path else page
    if not goal.exists() and docs.name(goal) in WRITTEN_WITH_THE_CODE:
        return
    assert goal.exists(), "%s links to %s, which does not exist" % (docs.name(page), target)
    if anchor:
        assert goal.suffix == ".md" and anchor in anchors(goal), \
            "%s links to %s: no such heading" % (docs.name(page), target)


def test_every_docs_page_is_linked_from_the_readme():
    readme = docs.prose(docs.ROOT / "README.md")
    for page in docs.pages()[1:]:
        assert "](%s" % docs.name(page) in readme, "%s is not linked from the README" % docs.name(page)
