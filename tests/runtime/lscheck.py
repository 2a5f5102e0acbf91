"""Label Studio's own prediction check (label-studio-sdk's LabelInterface), for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from label_studio_sdk.label_interface import LabelInterface

__all__ = ["LabelInterface", "ls_errors"]


def ls_errors(build: Path, project: str, prediction: dict[str, Any]) -> list[Any]:
    """What Label Studio says is wrong with a prediction for the project's compiled config."""
    config = (build / "projects" / project / "config.xml").read_text()
    return list(LabelInterface(config).validate_prediction(prediction, return_errors=True) or [])
