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
    assert "alabctl validate -f examples/" in block[0] or "alabctl compile -f examples/" in block[0]
    assert "pytest" in block[1]
