"""Every compiler check on a repository: SPEC §3 items 4-11, after the spec stage's items 1-3.

``verify`` runs the repository checks (limits, embeddings, licenses, labels, versions), the rule
checks, and compiles each project's labeling config to check it the way Label Studio's browser
would. The clock and the environment are passed in, so the result depends on nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from alabctl import __version__
from alabctl.compile.checks import check_repository
from alabctl.compile.checks.rulecheck import check_rules
from alabctl.compile.memo import Memo
from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.repository import Repository
from alabctl.spec.workers import start_map

if TYPE_CHECKING:  # the labeling-config modules (and lxml) load only for a repository with projects
    from alabctl.compile.checks.xmlcheck import XmlFinding
    from alabctl.spec.kinds import ProjectManifest
    from alabctl.spec.schema import Resource


def config_key(project: ProjectManifest, repo: Repository) -> str:
    """A digest of everything a project's labeling config is compiled from."""
    labels = {b.model: (f.labels if (f := repo.model_facts(b.model)) else None) for b in project.bindings()}
    rules = project.spec.ner.rules if project.spec.ner else []
    entities = {name: (r.spec.entity if (r := repo.rule(name)) else None) for name in rules}
    inputs = {
        "v": __version__,
        "p": project.model_dump(mode="json", by_alias=True),
        "m": labels,
        "r": entities,
    }
    return "xml:" + hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _cached_findings(cached: object) -> list[XmlFinding] | None:
    """Findings kept in the memo, or ``None`` when the entry does not have their exact shape."""
    if not isinstance(cached, list) or not all(isinstance(row, dict) for row in cached):
        return None
    from alabctl.compile.checks.xmlcheck import XmlFinding

    try:
        findings = [XmlFinding(**row) for row in cached]
    except TypeError:
        return None
    for f in findings:
        texts = (f.code, f.summary, f.detail)
        optional = (f.tag, f.subject)
        if not all(isinstance(t, str) for t in texts) or not all(
            o is None or isinstance(o, str) for o in optional
        ):
            return None
        if f.line is not None and (not isinstance(f.line, int) or isinstance(f.line, bool)):
            return None
    return findings


@dataclass
class _Batch:
    """What the workers compiling labeling configs read: forked after it is set, they share it."""

    repo: Repository
    projects: list[ProjectManifest]
    memo: Memo | None
    checked: dict[bytes, list[XmlFinding]] = field(default_factory=dict)
    """Configs repeat: each distinct one is checked once per process."""


_BATCH: list[_Batch] = []


def compile_label_config(project: ProjectManifest, repo: Repository) -> bytes:
    """:func:`alabctl.compile.labelconfig.compile_label_config`, loaded on first use (with lxml)."""
    from alabctl.compile.labelconfig import compile_label_config as build

    return build(project, repo)


def _project_config(index: int) -> tuple[str, bytes | None, list[XmlFinding]]:
    """``(memo key, config, findings)`` of the batch's project ``index``; no config when the memo
    had its findings."""
    from alabctl.compile.checks.xmlcheck import check_label_config

    batch = _BATCH[-1]
    project = batch.projects[index]
    key = config_key(project, batch.repo) if batch.memo is not None else ""
    cached = _cached_findings(batch.memo.get(key)) if batch.memo is not None else None
    if cached is not None:
        return key, None, cached
    xml = compile_label_config(project, batch.repo)
    findings = batch.checked.get(xml)
    if findings is None:
        findings = batch.checked[xml] = check_label_config(xml)
    return key, xml, findings


def check_label_configs(
    repo: Repository, memo: Memo | None = None, configs: dict[str, bytes] | None = None
) -> list[Diagnostic]:
    """Compile each project's labeling config and check it as Label Studio's browser would.

    With a ``memo``, a project whose inputs have not changed since a previous run reuses that run's
    findings instead of compiling and checking again. Each config compiled here is kept in
    ``configs`` (by project name), so ``compile`` writes it without building it again.

    The projects are shared out to worker processes when there are many: they are forked with the
    repository and the memo in memory, so only indexes go out and keys, configs and findings come
    back.
    """
    return _start_label_configs(repo, memo)(configs, ())


_REPEATS = {"ALB366": frozenset({"ALB203", "ALB205"}), "ALB369": frozenset({"ALB323"})}
"""Config findings that repeat a manifest check's error on the same project: a duplicate label
value (or a rename onto one), and a relation pair naming no label. The manifest check says it
at the exact node and in the manifest's words, so the config's version is left out."""
_ANY_REPEATED = frozenset().union(*_REPEATS.values())


def _same_document(resource: Resource, diagnostic: Diagnostic) -> bool:
    """Whether ``diagnostic`` was located in ``resource``'s document (positions are unique per file)."""
    if diagnostic.file != resource.origin.file:
        return False
    at = (diagnostic.line, diagnostic.column)
    return any(tuple(resource.origin.locate(diagnostic.path, key=key)) == at for key in (False, True))


def _not_repeated(
    resource: Resource, found: list[Diagnostic], known: Sequence[Diagnostic]
) -> list[Diagnostic]:
    if not any(d.code in _REPEATS for d in found):
        return found
    codes = {d.code for d in known if d.code in _ANY_REPEATED and _same_document(resource, d)}
    return [d for d in found if not (_REPEATS.get(d.code, frozenset()) & codes)]


def _unresolved(project: ProjectManifest, repo: Repository) -> bool:
    """Whether a rule or model of ``project`` is missing or invalid: its labels are then missing
    from the config too, and what the config's check would say ("no control tag", a label without
    its source) only repeats the reference's own error."""
    rules = project.spec.ner.rules if project.spec.ner else []
    return any(repo.rule(name) is None for name in rules) or any(
        repo.model_facts(binding.model) is None for binding in project.bindings()
    )


def _start_label_configs(
    repo: Repository, memo: Memo | None
) -> Callable[[dict[str, bytes] | None, Sequence[Diagnostic]], list[Diagnostic]]:
    """Start :func:`check_label_configs`; the function returned waits for it and gives its diagnostics.

    The workers run while the caller does other checks (they were forked before this returns). The
    function returned takes the other checks' diagnostics, so as not to repeat them.
    """
    projects = repo.projects()
    if not projects:
        return lambda configs, known: []
    import alabctl.compile.labelconfig  # noqa: F401 - loaded once, before the workers fork
    from alabctl.compile.checks.xmlcheck import findings_diagnostics

    _BATCH.append(_Batch(repo, [project for project, _ in projects], memo))
    try:
        pending = start_map(_project_config, range(len(projects)), threshold=400)
    finally:
        _BATCH.pop()

    def finish(configs: dict[str, bytes] | None, known: Sequence[Diagnostic]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for (project, resource), (key, xml, findings) in zip(projects, pending.result(), strict=True):
            if xml is not None:
                if configs is not None:
                    configs[project.name] = xml
                if memo is not None:
                    memo.put(key, [asdict(f) for f in findings])
            if not _unresolved(project, repo):
                out.extend(_not_repeated(resource, findings_diagnostics(resource, findings), known))
        return out

    return finish


def verify(
    repo: Repository,
    *,
    env: Mapping[str, str],
    now: datetime,
    memo: Memo | None = None,
    configs: dict[str, bytes] | None = None,
    earlier: Sequence[Diagnostic] = (),
) -> list[Diagnostic]:
    """The compiler's diagnostics for ``repo`` (which already passed or failed the spec stage).

    ``configs`` receives the labeling configs compiled on the way (see :func:`check_label_configs`).
    ``earlier`` are the spec stage's diagnostics: a config finding that only repeats one of them
    (or one of the checks here) on the same project is left out.
    """
    label_configs = _start_label_configs(repo, memo)  # on the workers while the other checks run here
    out = check_repository(repo, env=env, now=now)
    out.extend(check_rules(repo, memo))
    out.extend(label_configs(configs, [*earlier, *out]))
    if repo.projects():
        from alabctl.compile.checks.tasks import check_task_files

        out.extend(check_task_files(repo))
    return out
