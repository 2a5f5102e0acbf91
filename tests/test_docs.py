"""The documentation keeps up with the code."""

from __future__ import annotations

import importlib
import pkgutil

import alabctl
from alabctl.spec.codes import CODES
from tests.conftest import REPO


def test_every_diagnostic_code_is_documented() -> None:
    for module in pkgutil.walk_packages(alabctl.__path__, "alabctl."):
        if module.name != "alabctl.__main__":
            importlib.import_module(module.name)  # modules register their codes on import
    docs = "\n".join(p.read_text() for p in (REPO / "docs").glob("*.md"))
    missing = sorted(code for code in CODES if code not in docs)
    assert missing == [], f"document these codes in docs/: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    lines = (REPO / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert "alabctl validate -f examples/" in block[0]
    assert "alabctl apply" in block[0] and "/predict" in block[0]
    assert "pytest" in block[1]


def test_the_catalog_is_the_only_place_codes_are_declared() -> None:
    from alabctl.spec.codes import _CODES

    declared = {c.code for c in _CODES}
    for module in pkgutil.walk_packages(alabctl.__path__, "alabctl."):
        if module.name != "alabctl.__main__":
            importlib.import_module(module.name)
    assert set(CODES) == declared, f"declare these in alabctl/spec/codes.py: {sorted(set(CODES) - declared)}"


def test_every_code_names_a_docs_anchor_that_exists() -> None:
    import re

    def anchors(text: str) -> set[str]:
        found = set()
        for line in text.splitlines():
            if line.startswith("#"):
                heading = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower())
                found.add(heading.replace(" ", "-"))
        return found

    for code in CODES.values():
        page, _, anchor = code.docs.partition("#")
        assert code.summary and anchor, code
        assert anchor in anchors((REPO / page).read_text()), code
