"""Find, read, render and parse manifest files (SPEC §2).

Steps, in order:

1. ``discover``: each ``-f`` input is a file, a directory walked recursively (hidden directories
   skipped, links that leave the repository refused) or ``-`` for stdin. The repository root is the
   common root of the inputs unless given.
2. ``read``: bytes, decoded as UTF-8.
3. ``render``: ``*.yaml.j2`` / ``*.yml.j2`` files go through the sandboxed Jinja2 renderer.
4. ``parse``: YAML to plain values (cached by content hash for plain files).
5. ``select``: keep documents whose ``apiVersion`` starts with ``alabctl/``.

The result is a list of :class:`RawDocument` (plain data plus its :class:`Origin`) and the
diagnostics found on the way; turning data into typed manifests is :mod:`alabctl.spec.schema`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from alabctl import __version__
from alabctl.spec.cache import ParseCache
from alabctl.spec.diagnostics import Diagnostic, Position, Severity
from alabctl.spec.diagnostics import Path as NodePath
from alabctl.spec.errors import UsageError
from alabctl.spec.names import API_GROUP, API_VERSION, KIND_NAMES
from alabctl.spec.readfile import FileKind, FileReadError, read_bytes, read_stream, read_text, real_path
from alabctl.spec.secrets import in_secret_document, masked
from alabctl.spec.workers import map_items
from alabctl.spec.yamlsrc import C_PARSER, ParseResult, SourceMap, parse_yaml

if TYPE_CHECKING:  # loaded with the first template rendered
    from alabctl.spec.templatemap import TemplateMap

MANIFEST_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIXES = (".yaml.j2", ".yml.j2")
MAX_FILE_BYTES = 16 * 1024 * 1024
STDIN = "-"
STDIN_NAME = "<stdin>"
PARSE_REVISION = 4  # 4: nesting measured before composing, integers of at most 64 digits
"""Bumped whenever parsing changes, so cached parses from older code are not reused."""
PARSER_ID = f"{'c' if C_PARSER else 'py'}{PARSE_REVISION}-{__version__}"


@dataclass
class SourceIndex:
    """The text of every file read, and (lazily) where each node of each document sits."""

    texts: dict[str, str] = field(default_factory=dict)
    maps: dict[str, list[SourceMap]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    """The source of each ``*.yaml.j2`` file (``texts`` holds what it rendered to, when it did)."""
    rendered: dict[str, TemplateMap] = field(default_factory=dict)
    """For each template that rendered: rendered positions -> the template's."""

    def source_map(self, file: str, index: int) -> SourceMap:
        maps = self.maps.get(file)
        if maps is None:
            maps = [doc.source_map for doc in parse_yaml(self.texts.get(file, ""), file).documents]
            if file in self.rendered:
                maps = [_in_template(m, self.rendered[file]) for m in maps]
            self.maps[file] = maps
        if index < len(maps):
            return maps[index]
        return SourceMap({(): Position(1, 1)}, {})

    def lines(self, file: str) -> list[str]:
        return self.texts.get(file, "").splitlines()

    def lines_of(self, d: Diagnostic) -> list[str]:
        """The lines ``d``'s line number counts in: a template's own (positions in what it
        rendered are mapped back to it)."""
        if d.file is None:
            return []
        if d.file in self.templates:
            return self.templates[d.file].splitlines()
        return self.lines(d.file)

    def excerpt(self, d: Diagnostic, before: int = 2) -> list[str]:
        """``d``'s line and up to ``before`` lines above it, as shown under the diagnostic: in a
        License or LabelStudio document, what may be a pasted secret reads ``***``
        (:mod:`alabctl.spec.secrets`). Empty when ``d`` has no line in a file read."""
        lines = self.lines_of(d)
        if d.line is None or not lines or d.line > len(lines):
            return []
        shown = lines[max(0, d.line - 1 - before) : d.line]
        return [masked(line) for line in shown] if in_secret_document(lines, d.line) else shown


def _in_template(source_map: SourceMap, template: TemplateMap) -> SourceMap:
    def moved(positions: dict[NodePath, Position]) -> dict[NodePath, Position]:
        return {path: template.position(*p) for path, p in positions.items()}

    return SourceMap(moved(source_map.values), moved(source_map.keys))


def _moved(d: Diagnostic, template: TemplateMap, rendered: list[str], source: list[str]) -> Diagnostic:
    """A diagnostic found in a template's rendered text, at the template's line and column; when
    the rendered line differs from the template's, the detail quotes it (the YAML is wrong there)."""
    if d.line is None:
        return d
    from dataclasses import replace

    line, column = template.position(d.line, d.column or 1)
    wrote = rendered[d.line - 1] if d.line <= len(rendered) else ""
    if wrote.strip() and (line > len(source) or source[line - 1] != wrote):
        note = f"the template rendered it as: {wrote.strip()}"
        return replace(d, line=line, column=column, detail=f"{d.detail}; {note}" if d.detail else note)
    return replace(d, line=line, column=column)


@dataclass(frozen=True)
class Origin:
    """Where a document came from: the file as the user named it, and its index in that file."""

    file: str
    index: int
    directory: Path
    sources: SourceIndex = field(repr=False, compare=False, hash=False)

    def locate(self, path: NodePath, *, key: bool = False) -> Position:
        return self.sources.source_map(self.file, self.index).locate(path, key=key)

    def exists(self, path: NodePath) -> bool:
        return self.sources.source_map(self.file, self.index).exists(path)

    def diagnostic(
        self,
        code: str,
        summary: str,
        detail: str = "",
        path: NodePath = (),
        *,
        key: bool = False,
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        pos = self.locate(path, key=key)
        return Diagnostic(code, severity, summary, detail, self.file, pos.line, pos.column, path)

    def where(self, path: NodePath = ()) -> str:
        pos = self.locate(path)
        return f"{self.file}:{pos.line}:{pos.column}"


class RawDocument(NamedTuple):
    origin: Origin
    data: dict[str, Any]


@dataclass
class Loaded:
    root: Path
    documents: list[RawDocument]
    diagnostics: list[Diagnostic]
    sources: SourceIndex
    files: int


class _Input(NamedTuple):
    display: str
    path: Path | None  # None for stdin


def _display(given: str, rel: str) -> str:
    joined = os.path.join(given, rel) if given not in (".", "./") else rel  # noqa: PTH118 - keeps "./" as typed
    return joined.replace(os.sep, "/")


def _within(path: Path, root: Path) -> bool:
    text, base = str(path), str(root)
    return text == base or text.startswith(base.rstrip(os.sep) + os.sep)


def _is_manifest_name(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) or name.endswith(TEMPLATE_SUFFIXES)


def repository_root(inputs: Sequence[str], cwd: Path) -> Path:
    """The common root of the inputs: a file counts by its folder, stdin by the working directory."""
    folders = []
    for given in inputs:
        if given == STDIN:
            folders.append(cwd)
            continue
        path = _resolve(cwd / given, given)
        folders.append(path if path.is_dir() else path.parent)
    return Path(os.path.commonpath([str(f) for f in folders])) if folders else cwd


def _resolve(path: Path, given: str) -> Path:
    """A ``-f`` input with its links followed; a link loop is a usage error."""
    real = real_path(path)
    if real is None:
        raise UsageError(f"{given}: a symbolic link that leads back to itself", "check the -f argument")
    return real


IGNORE_FILE = ".alabctlignore"


def _ignore_patterns(folder: Path) -> list[str]:
    """Patterns of a folder's ``.alabctlignore``: one glob per line, ``#`` comments, ``dir/`` for folders."""
    try:
        path = folder / IGNORE_FILE
        if not os.path.lexists(path):
            return []
        text = read_text(path, FileKind.MANIFEST)
    except FileReadError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _ignored(rel: str, is_dir: bool, patterns: list[tuple[str, str]]) -> bool:
    """Whether ``rel`` (relative to the walked input, '/'-separated) matches an ignore pattern."""
    for base, pattern in patterns:
        if base and not rel.startswith(base + "/"):
            continue
        local = rel[len(base) + 1 :] if base else rel
        only_dirs = pattern.endswith("/")
        glob = pattern.rstrip("/").lstrip("/")
        if only_dirs and not is_dir:
            continue
        name = local.rsplit("/", 1)[-1]
        if fnmatch.fnmatchcase(local, glob) or ("/" not in glob and fnmatch.fnmatchcase(name, glob)):
            return True
    return False


def _unreadable(given: str, top: Path, out: list[Diagnostic]) -> Callable[[OSError], None]:
    """An ``os.walk`` error handler: a folder that cannot be listed is an error, never skipped."""

    def record(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else top
        rel = "" if where == top else where.relative_to(top).as_posix() if _within(where, top) else str(where)
        display = _display(given, rel) if rel else given
        out.append(
            Diagnostic(
                "ALB004",
                Severity.ERROR,
                f"cannot read folder: {exc.strerror}",
                "make the folder readable, or list it in .alabctlignore to skip it",
                display,
                1,
                1,
            )
        )

    return record


def _walk(
    top: Path, onerror: Callable[[OSError], None]
) -> Iterator[tuple[str, str, list[str], list[str], set[str]]]:
    """``os.walk`` (top-down, links to folders not followed) that also names the linked entries.

    Yields ``(folder, folder relative to top with '/', subfolders, files, linked names)``; the
    caller may prune the subfolders in place. One ``scandir`` per folder and no ``stat`` per file.
    """
    stack = [(str(top), "")]
    while stack:
        folder, rel = stack.pop()
        dirnames: list[str] = []
        filenames: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                        if entry.is_symlink():
                            links.add(entry.name)
                            is_dir = False  # a link is never walked into, as os.walk does
                            if not os.path.isdir(entry.path):  # noqa: PTH112 - str paths: no Path per entry
                                filenames.append(entry.name)
                            continue
                    except OSError:
                        is_dir = False
                    (dirnames if is_dir else filenames).append(entry.name)
        except OSError as exc:
            onerror(exc)
            continue
        yield folder, rel, dirnames, filenames, links
        for name in reversed(dirnames):
            stack.append((os.path.join(folder, name), f"{rel}/{name}".lstrip("/")))  # noqa: PTH118


def discover(inputs: Sequence[str], root: Path, cwd: Path) -> tuple[list[_Input], list[Diagnostic]]:
    """Every manifest file the inputs name, in a stable order, and the links refused on the way.

    Folders are walked recursively; hidden folders and whatever a ``.alabctlignore`` lists are
    skipped. A path named on the command line is always read.
    """
    found: list[_Input] = []
    diagnostics: list[Diagnostic] = []
    seen: set[Path] = set()
    for given in inputs:
        if given == STDIN:
            found.append(_Input(STDIN_NAME, None))
            continue
        path = _resolve(cwd / given, given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory", "check the -f argument")
        if not path.is_dir():  # a file, or a FIFO/device the reader will refuse with a diagnostic
            if path not in seen:
                seen.add(path)
                found.append(_Input(given.replace(os.sep, "/"), path))
            continue
        patterns: list[tuple[str, str]] = []
        for folder, rel_folder, dirnames, filenames, links in _walk(
            path, _unreadable(given, path, diagnostics)
        ):
            here = Path(folder)
            patterns.extend((rel_folder, p) for p in _ignore_patterns(here))
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".") and not _ignored(f"{rel_folder}/{d}".lstrip("/"), True, patterns)
            )
            for name in sorted(filenames):
                rel = f"{rel_folder}/{name}".lstrip("/")
                if not _is_manifest_name(name) or name.startswith(".") or _ignored(rel, False, patterns):
                    continue
                full = here / name
                display = _display(given, rel)
                # the walk does not follow linked folders, so only a linked file can lead elsewhere
                # (already absolute otherwise: the walk starts at a resolved folder)
                resolved = real_path(full) if name in links else full
                if resolved is None:
                    diagnostics.append(
                        Diagnostic(
                            "ALB004",
                            Severity.ERROR,
                            f"'{display}' is a symbolic link that leads back to itself",
                            "replace the link with the file, or remove it",
                            display,
                            1,
                            1,
                        )
                    )
                    continue
                if not _within(resolved, root):
                    diagnostics.append(
                        Diagnostic(
                            "ALB007",
                            Severity.ERROR,
                            f"'{display}' links outside the repository",
                            "manifests must be inside the repository; replace the link with the file",
                            display,
                            1,
                            1,
                        )
                    )
                    continue
                if resolved not in seen:
                    seen.add(resolved)
                    found.append(_Input(display, resolved))
    return found, diagnostics


class Snapshot(NamedTuple):
    """The files some inputs name, found once, with the bytes and digests of those already read.

    ``validate`` finds every file to fingerprint its inputs and reads the ones whose content it
    does not know yet; loading from the same snapshot finds nothing again and reads only the
    files the fingerprint did not.
    """

    root: Path
    files: list[_Input]
    raw: dict[str, bytes]
    """The bytes of each file read so far, by its display name."""
    digests: dict[str, str]
    """The sha256 (hex) of each file, by its display name."""


def snapshot(inputs: Sequence[str], root: Path, cwd: Path) -> Snapshot | None:
    """Every file ``inputs`` name, found (nothing read yet); ``None`` when one is refused (or
    stdin is one).

    Raises :class:`UsageError` as :func:`discover` does.
    """
    if STDIN in inputs:
        return None
    files, refused = discover(inputs, root, cwd)
    if refused:
        return None
    return Snapshot(root, files, {}, {})


class _FileResult(NamedTuple):
    text: str | None
    documents: list[Any]
    diagnostics: list[Diagnostic]
    template: str | None = None
    rendered: TemplateMap | None = None


def _read(item: _Input, stdin_text: str | None) -> tuple[bytes | None, Diagnostic | None]:
    if item.path is None:
        return (stdin_text or "").encode(), None
    try:
        return read_bytes(item.path, FileKind.MANIFEST), None
    except FileReadError as exc:
        return None, Diagnostic(
            "ALB004", Severity.ERROR, exc.reason, exc.hint or "check the file", item.display, 1, 1
        )


def _decode(raw: bytes, display: str) -> tuple[str | None, Diagnostic | None]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, Diagnostic(
            "ALB004",
            Severity.ERROR,
            "file is not UTF-8 text",
            f"byte {exc.start} cannot be decoded; save the file as UTF-8",
            display,
            1,
            1,
        )


def _parse_values(job: tuple[str, str]) -> ParseResult:
    text, display = job
    return parse_yaml(text, display, positions=False)


def _parse_ahead(
    files: Sequence[_Input],
    reads: Sequence[tuple[bytes | None, Diagnostic | None]],
    digests: Sequence[str | None],
    cache: ParseCache,
) -> dict[str, ParseResult]:
    """Parse the plain files the cache does not have, on every core when there are many."""
    jobs: list[tuple[str, str]] = []
    for item, (raw, _), digest in zip(files, reads, digests, strict=True):
        if raw is None or digest is None or digest in cache.entries:
            continue
        try:
            jobs.append((raw.decode("utf-8-sig"), item.display))
        except UnicodeDecodeError:
            continue
    if len(jobs) < PARALLEL_PARSE:
        return {}  # the loop parses them one by one
    results = map_items(_parse_values, jobs, threshold=PARALLEL_PARSE)
    return {display: result for (_, display), result in zip(jobs, results, strict=True)}


def _digest(item: _Input, raw: bytes | None, known: Mapping[str, str]) -> str | None:
    """The cache key of a plain file's bytes (templates and stdin are not cached)."""
    if raw is None or item.path is None or item.display.endswith(TEMPLATE_SUFFIXES):
        return None
    return known.get(item.display) or hashlib.sha256(raw).hexdigest()


PARALLEL_PARSE = 600
"""Files to parse below which parsing stays in this process."""


def _load_file(
    item: _Input,
    read: tuple[bytes | None, Diagnostic | None],
    values: Mapping[str, Any],
    digest: str | None,
    cache: ParseCache,
    ahead: Mapping[str, ParseResult],
) -> _FileResult:
    raw, problem = read
    if raw is None:
        return _FileResult(None, [], [problem] if problem else [])
    is_template = item.display.endswith(TEMPLATE_SUFFIXES)
    if digest is not None:
        hit = cache.get(digest, item.display)
        if hit is not None:
            return _FileResult(raw.decode("utf-8-sig", errors="replace"), hit.documents, hit.diagnostics)
    text, problem = _decode(raw, item.display)
    if text is None:
        return _FileResult(None, [], [problem] if problem else [])
    notes: list[Diagnostic] = []
    template = None
    if is_template:
        from alabctl.spec.template import render_template  # Jinja2 loads only for templates

        template = text
        rendered = render_template(text, item.display, values)
        notes = [_with_file(d, item.display) for d in rendered.diagnostics]
        if rendered.text is None:
            return _FileResult(text, [], notes, template)
        text = rendered.text
        from alabctl.spec.templatemap import TemplateMap  # with the template's render

        where = TemplateMap(rendered.pieces, text, template)
        parsed = parse_yaml(text, item.display, positions=False)
        lines = (text.splitlines(), template.splitlines()) if parsed.diagnostics else ([], [])
        found = [_moved(d, where, *lines) for d in parsed.diagnostics]
        return _FileResult(text, [doc.data for doc in parsed.documents], [*notes, *found], template, where)
    parsed = ahead.get(item.display) or parse_yaml(text, item.display, positions=False)
    documents = [doc.data for doc in parsed.documents]
    if digest is not None:
        cache.put(digest, documents, parsed.diagnostics)
    return _FileResult(text, documents, parsed.diagnostics)


def _with_file(d: Diagnostic, file: str) -> Diagnostic:
    from dataclasses import replace

    return replace(d, file=file)


def _select(data: Any, origin: Origin) -> tuple[bool, Diagnostic | None]:
    """Whether a document is an alabctl manifest (and a diagnostic when it nearly is)."""
    if not isinstance(data, dict):
        return False, None
    api = data.get("apiVersion")
    if api is None:
        if data.get("kind") in KIND_NAMES and "spec" in data:
            return False, origin.diagnostic(
                "ALB108",
                f"{data['kind']} without apiVersion is skipped",
                f"add 'apiVersion: {API_VERSION}' so alabctl reads this document",
                (),
                severity=Severity.WARNING,
            )
        return False, None
    if not isinstance(api, str):
        return False, None
    if not api.startswith(API_GROUP):
        return False, _near_miss(api, origin)
    if api != API_VERSION:
        return False, origin.diagnostic(
            "ALB108",
            f"unsupported apiVersion '{api}'",
            f"this alabctl reads '{API_VERSION}'",
            ("apiVersion",),
        )
    return True, None


def _near_miss(api: str, origin: Origin) -> Diagnostic | None:
    """A warning when an apiVersion that is not alabctl's looks like a typo of it (``alabctI/v1``)."""
    import difflib

    group = api.partition("/")[0].lower()
    wanted = API_GROUP.rstrip("/")
    if difflib.SequenceMatcher(None, group, wanted).ratio() < 0.75:
        return None
    return origin.diagnostic(
        "ALB108",
        f"apiVersion '{api}' is not alabctl's, so this document is skipped",
        f"did you mean '{API_VERSION}'?",
        ("apiVersion",),
        severity=Severity.WARNING,
    )


def load(
    inputs: Sequence[str],
    *,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    cwd: Path | None = None,
    cache_dir: Path | None = None,
    stdin_text: str | None = None,
    snapshot: Snapshot | None = None,
) -> Loaded:
    """Read every manifest the inputs name. Never raises for bad content: that is diagnostics.

    With a ``snapshot`` of the same inputs (see :func:`snapshot`), its files and bytes are used
    instead of finding and reading them again.
    """
    cwd = cwd or Path.cwd()
    if not inputs:
        raise UsageError("no input given", "name manifest files or folders with -f PATH (or - for stdin)")
    root = (root or repository_root(inputs, cwd)).resolve()
    for given in inputs:
        if given != STDIN and not _within(_resolve(cwd / given, given), root):
            raise UsageError(
                f"{given} is outside the repository root {root}", "pass a --root that contains it"
            )
    if STDIN in inputs and stdin_text is None:
        try:
            stdin_text = read_stream(sys.stdin, FileKind.MANIFEST, STDIN_NAME)
        except FileReadError as exc:
            raise UsageError(exc.message, exc.hint) from None
    known: Mapping[str, str] = {}
    reads: list[tuple[bytes | None, Diagnostic | None]]
    diagnostics: list[Diagnostic]
    if snapshot is not None and snapshot.root == root:
        files, diagnostics = list(snapshot.files), []
        known = {name: snapshot.digests[name] for name in snapshot.raw if name in snapshot.digests}
        reads = [
            (snapshot.raw[item.display], None) if item.display in snapshot.raw else _read(item, stdin_text)
            for item in files
        ]
    else:
        files, diagnostics = discover(inputs, root, cwd)
        reads = [_read(item, stdin_text) for item in files]
    cache = ParseCache.open(cache_dir, PARSER_ID)
    sources = SourceIndex()
    documents: list[RawDocument] = []
    digests = [_digest(item, raw, known) for item, (raw, _) in zip(files, reads, strict=True)]
    ahead = _parse_ahead(files, reads, digests, cache)
    for item, read, digest in zip(files, reads, digests, strict=True):
        result = _load_file(item, read, values or {}, digest, cache, ahead)
        diagnostics.extend(result.diagnostics)
        if result.text is not None:
            sources.texts[item.display] = result.text
        if result.template is not None:
            sources.templates[item.display] = result.template
        if result.rendered is not None:
            sources.rendered[item.display] = result.rendered
        directory = item.path.parent if item.path is not None else cwd
        for index, data in enumerate(result.documents):
            origin = Origin(item.display, index, directory, sources)
            keep, note = _select(data, origin)
            if note is not None:
                diagnostics.append(note)
            if keep:
                documents.append(RawDocument(origin, data))
    cache.save()
    return Loaded(root, documents, diagnostics, sources, len(files))


def parse_values(files: Iterable[Path], assignments: Iterable[str]) -> dict[str, Any]:
    """Template values from ``--values FILE`` (YAML mappings, later ones win) and ``--set k=v``.

    ``--set`` values are YAML, as in Helm: ``--set 'sites=[north,south]'`` gives a list.
    """
    values: dict[str, Any] = {}
    for path in files:
        try:
            text = read_text(path, FileKind.VALUES)
        except FileReadError as exc:
            raise UsageError(f"--values {exc.message}", exc.hint) from None
        parsed = parse_yaml(text, str(path))
        if parsed.diagnostics:
            first = parsed.diagnostics[0]
            raise UsageError(f"--values {path}:{first.line}:{first.column}: {first.summary}")
        for doc in parsed.documents:
            if doc.data is None:
                continue
            if not isinstance(doc.data, dict):
                raise UsageError(f"--values {path}: the file must be a mapping of names to values")
            _deep_merge(values, doc.data)
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {assignment!r}: write key=value (dotted keys for nesting: a.b=1)")
        target = values
        parts = key.strip().split(".")
        for part in parts[:-1]:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = {}
                target[part] = nested
            target = nested
        target[parts[-1]] = set_value(raw, assignment)
    return values


def set_value(raw: str, assignment: str = "") -> Any:
    """The value of ``--set key=RAW``, read as YAML as Helm reads it: ``[a,b]`` is a list, ``3`` a number.

    An empty value is null, as an empty YAML value is.
    """
    if not raw.strip():
        return None
    parsed = parse_yaml(raw, "--set")
    if parsed.diagnostics or len(parsed.documents) != 1:
        why = parsed.diagnostics[0].summary if parsed.diagnostics else "not one YAML value"
        raise UsageError(
            f"--set {assignment or raw!r}: the value is not valid YAML ({why})",
            "quote it for the shell and YAML, e.g. --set 'title=\"a: b\"', or use --values FILE",
        )
    return parsed.documents[0].data


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
