"""The options and reports of :mod:`alabctl.api`'s commands besides ``validate`` and ``compile``.

They are reached as ``alabctl.api.<Name>``; they live here so that importing :mod:`alabctl.api`
(which every command does) does not create them: a one-file ``validate`` never needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alabctl.api import Inputs, ValidationReport
    from alabctl.assets.store import AssetRow
    from alabctl.compile.desired import DesiredState
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.labelstudio import LabelStudioPlan
    from alabctl.reconcile.plan import Plan
    from alabctl.spec.diagnostics import Diagnostic


@dataclass(frozen=True)
class RulesImport:
    """What ``rules import`` wrote."""

    written: list[Path]
    notes: list[str]
    rules: int


@dataclass(frozen=True)
class RulesExport:
    """What ``rules export`` found: the errors that stopped it, or how many rules it wrote."""

    errors: list[Diagnostic]
    rules: int = 0


@dataclass(frozen=True)
class HubOptions:
    """Which store and hub: ``--home``, ``--hub``, the ``-f`` manifests (Hub, License), ``--license``."""

    home: Path | None = None
    hub: str | None = None
    inputs: Sequence[str] = ()
    license: str | None = None
    refresh: bool = False
    lockfile: Path | None = None


@dataclass(frozen=True)
class HubHit:
    """One row of ``hub search``."""

    name: str
    language: str
    edition: str
    task: str
    repository: str
    versions: str
    date: str


@dataclass(frozen=True)
class LockReport:
    """What ``lock`` wrote."""

    path: Path
    assets: int
    changed: bool


@dataclass(frozen=True)
class Inventory:
    """Installed assets of one type, and the store's disk usage."""

    rows: list[AssetRow]
    root: Path
    used: int
    free: int
    total: int


@dataclass(frozen=True)
class AssetInfo:
    """Everything the store knows about one asset (``describe``)."""

    row: AssetRow
    path: Path
    servers: list[str]


@dataclass(frozen=True)
class UploadReport:
    """An uploaded model, and the manifest to commit for it."""

    row: AssetRow
    path: Path
    name: str
    """The valid manifest name it was installed under."""
    manifest: str
    where: str
    """Where to save the manifest (and copy the model, when it is outside the working folder)."""


@dataclass(frozen=True)
class ServeOptions:
    """How ``serve`` runs one server: where its build comes from, where it listens, its limits."""

    server: str
    build: Path | None = None
    inputs: Inputs | None = None
    host: str | None = None
    port: int | None = None
    home: Path | None = None
    max_tasks: int = 1000
    max_body: int = 20 * 1024 * 1024
    skip_license_check: bool = False
    documents: DocumentOptions | None = None
    """Visual NER: where task documents may come from (None: the defaults, nothing read)."""


@dataclass(frozen=True)
class PreannotateOptions:
    """What ``preannotate`` reads and writes."""

    project: str
    tasks: Path
    out: Path | None = None
    build: Path | None = None
    inputs: Inputs | None = None
    workers: int | None = None
    engine: str = "local"
    master: str | None = None
    progress: bool = False
    skip_license_check: bool = False
    documents: DocumentOptions | None = None
    """Visual NER: where task documents may come from (None: the defaults, nothing read)."""


@dataclass(frozen=True)
class DocumentOptions:
    """Where a Visual NER task's PDF or image may be read from, and what one document may cost."""

    folder: Path | None = None
    """Local documents only from under this folder; None: none at all."""
    allow_remote: bool = False
    dpi: int = 300
    max_pages: int = 500
    max_pixels: int = 80_000_000
    max_bytes: int = 64 * 1024 * 1024
    timeout: float = 120.0
    ocr_language: str = "eng"


@dataclass
class Desired:
    """A valid repository's desired state, and its compiled files when they had to be compiled."""

    state: DesiredState
    _files: Mapping[str, bytes] | None
    _compile: Callable[[], Mapping[str, bytes]]
    label_studio: bool = True
    """Whether a project has a ``labelStudio`` block (when not, plans never ask a Label Studio)."""

    @property
    def files(self) -> Mapping[str, bytes]:
        if self._files is None:
            self._files = self._compile()
        return self._files


@dataclass
class PlanReport:
    """What ``plan`` found: the validation, and the plan when the manifests were valid."""

    validation: ValidationReport
    plan: Plan | None = None
    desired: Desired | None = None
    labelstudio: LabelStudioPlan | None = None


@dataclass
class ApplyReport:
    """What ``apply`` did."""

    validation: ValidationReport | None
    plan: Plan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        from alabctl.reconcile.vocab import Result

        return bool(self.stale) or any(o.result is Result.FAILED for o in self.outcomes)


@dataclass(frozen=True)
class FileDiff:
    """One compiled file that differs from the deployed one."""

    server: str
    path: str
    text: str
