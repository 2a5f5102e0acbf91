"""Region results against label-studio-sdk's prediction check, with the compiled Visual NER config."""

from __future__ import annotations

from label_studio_sdk.label_interface import LabelInterface

from alabctl.runtime.visual.annotate import annotate_pages
from alabctl.runtime.visual.document import read_pages
from alabctl.runtime.visual.settings import VisualSettings
from tests.conftest import GOLDEN
from tests.visual.conftest import INVOICE_PATTERNS, PatternEngine
from tests.visual.drawing import draw_pdf

CONFIG = (GOLDEN / "build" / "projects" / "invoices" / "config.xml").read_text(encoding="utf-8")


def test_results_pass_the_sdk_prediction_check(documents, settings: VisualSettings) -> None:  # type: ignore[no-untyped-def]
    (documents / "two.pdf").write_bytes(
        draw_pdf([["Invoice no. INV-1 dated 01/02/2024"], ["Vendor: Acme Corporation Ltd"]])
    )
    pages = read_pages("two.pdf", settings)
    results = annotate_pages(pages, PatternEngine(INVOICE_PATTERNS))
    assert {r["type"] for r in results} == {"rectanglelabels", "textarea"}
    assert len([r for r in results if r["type"] == "rectanglelabels"]) == 3
    interface = LabelInterface(CONFIG)
    prediction = {"result": results, "score": 1.0, "model_version": "rules"}
    assert interface.validate_prediction(prediction, return_errors=True) == []


def test_the_check_catches_a_label_the_config_lacks(settings: VisualSettings) -> None:
    pages = read_pages("invoice.pdf", settings)
    results = annotate_pages(pages, PatternEngine({"Unknown": r"INV-\d+"}))
    errors = LabelInterface(CONFIG).validate_prediction({"result": results}, return_errors=True)
    assert errors and "Unknown" in errors[0]
