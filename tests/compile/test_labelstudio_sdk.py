"""Conformance: every config alabctl compiles passes Label Studio's own SDK validation.

The SDK is a large optional test dependency (``pip install label-studio-sdk``); without it these
tests are skipped. Our checker (:mod:`alabctl.compile.checks.xmlcheck`) is stricter; this is the floor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl.compile.checks.xmlcheck import check_label_config, findings_summary
from alabctl.compile.labelconfig import compile_label_config
from alabctl.spec.validate import load_repository
from tests.compile.test_labelconfig import ASSETS, CLASSIFICATION, NER, RELATIONS, VISUAL

label_interface = pytest.importorskip(
    "label_studio_sdk.label_interface",
    reason="label-studio-sdk is an optional test dependency: pip install label-studio-sdk",
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_INPUTS = ("projects", "rules", "models", "servers", "licenses", "hub.yaml")
SPECS = {
    "ner-rules-assertion": NER,
    "classification": CLASSIFICATION,
    "relations": RELATIONS,
    "visual-pdf": VISUAL,
    "everything": NER
    + CLASSIFICATION
    + "\n  relations:\n    labels: [{value: r, allowed: [Drug<>Height]}]\n",
}


def _sdk_validate(xml: bytes) -> None:
    interface = label_interface.LabelInterface(xml.decode("utf-8"))
    interface.validate()  # raises LabelStudioValidationErrorSentryIgnored on a problem


def _example_configs() -> dict[str, bytes]:
    inputs = [str(EXAMPLES / p) for p in EXAMPLE_INPUTS if (EXAMPLES / p).exists()]
    if not (EXAMPLES / "projects").exists():
        return {}
    result = load_repository(inputs, root=EXAMPLES, cwd=EXAMPLES)
    repo = result.repository
    return {project.name: compile_label_config(project, repo) for project, _ in repo.projects()}


@pytest.mark.parametrize("name", SPECS)
def test_compiled_configs_pass_the_sdk(name: str, make_repo: Callable[[dict[str, str]], Path]) -> None:
    project = f"apiVersion: alabctl/v1\nkind: Project\nmetadata: {{name: p}}\nspec:{SPECS[name]}"
    root = make_repo({"assets.yaml": ASSETS, "project.yaml": project})
    repo = load_repository([str(root)], cwd=root).repository
    [(manifest, _)] = repo.projects()
    _sdk_validate(compile_label_config(manifest, repo))


def test_example_configs_pass_the_sdk_and_our_checks() -> None:
    configs = _example_configs()
    if not configs:
        pytest.skip("no examples/projects in this checkout")
    for name, xml in configs.items():
        _sdk_validate(xml)
        findings = check_label_config(xml)
        assert findings == [], f"{name}:\n{findings_summary(findings)}"


def test_sdk_parses_our_labels() -> None:
    """The SDK reads back what we declared: controls, their labels, and the object tag."""
    xml = (
        b'<View>\n  <Labels name="label" toName="text">\n    <Label value="A" model="m" background="#ffffff"/>\n'
        b'  </Labels>\n  <Text name="text" value="$text"/>\n</View>\n'
    )
    interface = label_interface.LabelInterface(xml.decode())
    assert interface.get_control("label").labels == ["A"]
    assert check_label_config(xml) == []
