"""Loading a repository again after an edit: only the files that changed are read, parsed and
type-checked again; every other file's documents, resources and diagnostics are kept from the
last load.

``watch`` keeps one :class:`Reloader` for its whole life. What one file gives — its text, its
parse, its documents selected and type-checked, and their diagnostics — depends only on its bytes,
its path and the template values, so a file whose content digest is unchanged gives the same again.
Templates (``*.yaml.j2``) are rendered every time. What spans files — the lock file, references
between manifests, and the compiler's checks after this — runs on the whole repository each time,
so the result is exactly a full load's (``tests/spec/test_reload.py`` compares them after each
edit of a sequence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.loader import TEMPLATE_SUFFIXES, RawDocument, SourceIndex, load, repository_root
from alabctl.spec.schema import Resource, to_resources
from alabctl.spec.validate import SpecResult, assemble, load_repository

if TYPE_CHECKING:
    from alabctl.spec.templatemap import TemplateMap


@dataclass(frozen=True)
class _File:
    """What one file gave the last time it was loaded."""

    digest: str
    text: str | None
    template: str | None
    notes: list[Diagnostic]
    """The loader's diagnostics (reading, rendering, parsing, selecting documents)."""
    resources: list[Resource]
    problems: list[Diagnostic]
    """The schema's diagnostics for its documents."""
    broken: list[tuple[str, str]]
    """The kind and name of each of its documents that failed the schema."""
    rendered: TemplateMap | None
    """A template's rendered positions -> its own."""


class Reloader:
    """Files loaded before, by how the user named them, kept while their content is the same."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        """The parse cache's folder, for the first load (later ones parse the few files changed)."""
        self._files: dict[str, _File] = {}
        self._inputs: Any = None
        self.reloaded: list[str] = []
        """Files read again by the last :meth:`load_repository`."""

    def load_repository(
        self,
        inputs: Sequence[str],
        digests: Mapping[str, str] | None,
        *,
        values: Mapping[str, Any] | None = None,
        root: Path | None = None,
        cwd: Path | None = None,
        lockfile: Path | None = None,
    ) -> SpecResult:
        """What :func:`alabctl.spec.validate.load_repository` gives for these inputs (no parse
        cache). ``digests`` is each manifest file's content digest, in the order the files are
        found (the validation fingerprint's); ``None`` loads everything."""
        cwd = cwd or Path.cwd()
        given = (list(inputs), repr(sorted((values or {}).items())), root, cwd)
        if digests is None or given != self._inputs:
            self._files, self._inputs = {}, given
        if digests is None:
            self.reloaded = ["*"]
            return load_repository(inputs, values=values, root=root, cwd=cwd, lockfile=lockfile)
        root = (root or repository_root(inputs, cwd)).resolve()
        changed = [
            f
            for f, digest in digests.items()
            if f.endswith(TEMPLATE_SUFFIXES) or f not in self._files or self._files[f].digest != digest
        ]
        self.reloaded = changed
        if changed and not self._read(inputs, changed, digests, values, root, cwd):
            self._files, self._inputs = {}, None
            self.reloaded = ["*"]
            return load_repository(inputs, values=values, root=root, cwd=cwd, lockfile=lockfile)
        files = [self._files[f] for f in digests]
        self._files = dict(zip(digests, files, strict=True))  # deleted files are dropped
        return self._assemble(list(digests), files, root, cwd, lockfile)

    def _read(
        self,
        inputs: Sequence[str],
        changed: list[str],
        digests: Mapping[str, str],
        values: Mapping[str, Any] | None,
        root: Path,
        cwd: Path,
    ) -> bool:
        """Load ``changed`` alone; ``False`` when what they gave cannot be told apart by file."""
        everything = len(changed) == len(digests)  # the first load: the inputs as given, parse cache on
        loaded = load(
            inputs if everything else changed,
            values=values,
            root=root,
            cwd=cwd,
            cache_dir=self.cache_dir if everything else None,
        )
        if loaded.files != len(changed) or any(d.file not in digests for d in loaded.diagnostics):
            return False
        by_file: dict[str, list[RawDocument]] = {f: [] for f in changed}
        for document in loaded.documents:
            by_file.setdefault(document.origin.file, []).append(document)
        for file in changed:
            typed = to_resources(by_file[file])
            self._files[file] = _File(
                digests[file],
                loaded.sources.texts.get(file),
                loaded.sources.templates.get(file),
                [d for d in loaded.diagnostics if d.file == file],
                typed.resources,
                typed.diagnostics,
                typed.broken,
                loaded.sources.rendered.get(file),
            )
        return True

    def _assemble(
        self, names: list[str], files: list[_File], root: Path, cwd: Path, lockfile: Path | None
    ) -> SpecResult:
        """The repository and diagnostics of a full load, from each file's part."""
        sources = SourceIndex()
        for name, file in zip(names, files, strict=True):
            if file.text is not None:
                sources.texts[name] = file.text
            if file.template is not None:
                sources.templates[name] = file.template
            if file.rendered is not None:
                sources.rendered[name] = file.rendered
        return assemble(
            root,
            [r for file in files for r in file.resources],
            [*(d for file in files for d in file.notes), *(d for file in files for d in file.problems)],
            sources,
            len(files),
            lockfile,
            cwd,
            [named for file in files for named in file.broken],
        )
