"""Visual NER tasks of one project: the task's document -> pages -> the engine on every page's
text -> one checked prediction of region results per task.

The seam with the text runtime: the same engine batch, the same renaming and merging of chunks
(:func:`alabctl.runtime.results.region_chunks`) and the same config check
(:func:`alabctl.runtime.labeling.check_result`) as text tasks; only the results are boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alabctl.runtime.engine import Engine, Findings
from alabctl.runtime.labeling import LabelingConfig, check_result
from alabctl.runtime.results import Prediction, ProjectView, region_chunks
from alabctl.runtime.tasks import TaskError, task_data
from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.page import Page, PageText, page_text
from alabctl.runtime.visual.regions import ResultNames, page_regions, region_results
from alabctl.runtime.visual.settings import VisualSettings

RECTANGLES = "rectanglelabels"


def task_pages(task: Any, view: ProjectView, settings: VisualSettings) -> list[Page]:
    """The pages of the document a task names in the data key the config reads (``$image``), or
    of the OCR it carries; DocumentError / TaskError say what is wrong with this task."""
    data = task_data(task)
    key = view.text_key
    carried = data.get(settings.hocr_key)
    if carried is None and key not in data:
        keys = ", ".join(sorted(map(str, data))) or "none"
        raise TaskError(f"no '{key}' in the task's data (the config reads ${key}; the data has: {keys})")
    try:
        from alabctl.runtime.visual.document import read_pages
    except ImportError as exc:  # Pillow / pypdfium2 / pytesseract: the [visual] extra
        raise DocumentError(
            Problem.OCR_UNAVAILABLE,
            f"Visual NER needs the '{exc.name}' package: pip install 'alabctl[visual]'",
        ) from None
    return read_pages(data.get(key, ""), settings, carried_ocr=carried)


def transcription_of(config: LabelingConfig, image: str) -> str | None:
    """The per-region ``<TextArea>`` on the image, which carries each region's text, if any."""
    for control in config.controls.values():
        if control.type == "textarea" and control.to_name == image:
            return control.name
    return None


def page_results(
    view: ProjectView, text: PageText, findings: Findings
) -> tuple[list[dict[str, Any]], list[str]]:
    """One page's region results (each checked against the config) and why any were dropped."""
    kept: list[dict[str, Any]] = []
    reasons: list[str] = []
    for (from_name, to_name, _), chunks in region_chunks(view, findings, frozenset({RECTANGLES})).items():
        names = ResultNames(from_name, to_name, transcription_of(view.config, to_name))
        for region in page_regions(text, chunks):
            results = region_results(region, region.chunk.label, names)
            problem = check_result(results[0], view.config, None)
            if problem is None and not 0.0 <= results[0]["score"] <= 1.0:
                problem = f"score {results[0]['score']} outside [0, 1]"
            (reasons.append(problem) if problem else kept.extend(results))
    return kept, reasons


def predict_documents(
    engine: Engine, view: ProjectView, documents: Sequence[Sequence[Page]]
) -> list[Prediction]:
    """One prediction per document (a task's pages): every page's text in one engine batch."""
    texts = [[page_text(page) for page in pages] for pages in documents]
    flat = [t.text for pages in texts for t in pages]
    findings = iter(engine.predict(flat) if flat else [])
    predictions = []
    for pages in texts:
        result: list[dict[str, Any]] = []
        reasons: list[str] = []
        for text in pages:
            kept, dropped = page_results(view, text, next(findings))
            result.extend(kept)
            reasons.extend(dropped)
        scores = [float(r["score"]) for r in result if "score" in r]
        score = round(sum(scores) / len(scores), 4) if scores else 0.0
        predictions.append(Prediction(result, score, view.model_version, len(reasons), tuple(reasons)))
    return predictions


def read_tasks_pages(
    tasks: Sequence[Any], view: ProjectView, settings: VisualSettings
) -> list[list[Page] | str]:
    """Each task's pages, or the message saying why its document could not be read."""
    out: list[list[Page] | str] = []
    for task in tasks:
        try:
            out.append(task_pages(task, view, settings))
        except (DocumentError, TaskError) as exc:
            out.append(str(exc))
    return out
