"""Replaying a validation whose inputs have not changed, so CI's no-change re-run costs file reads only.

A result is kept (in the user's cache folder, as JSON) under a digest of everything the run was
given: alabctl's own code, the options, every manifest file's content, the lock file, and the day.
It also records what the run read besides the manifests (dictionary files, model metadata, License
files and variables) and when the licenses it read expire. It is replayed only when all of those
are unchanged and no license has expired since; any doubt means a full run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alabctl.spec.cache import Memo, code_digest, default_cache_dir
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.errors import UsageError
from alabctl.spec.loader import STDIN, TEMPLATE_SUFFIXES, SourceIndex, discover, repository_root
from alabctl.spec.lock import DEFAULT_LOCKFILE

MAX_RESULTS = 64


@dataclass(frozen=True)
class Fingerprint:
    """The digest of a run's direct inputs, and the texts read to compute it (for excerpts)."""

    key: str
    texts: dict[str, str]
    files: int

    def sources(self, rendered: Mapping[str, str]) -> SourceIndex:
        """The texts a full run showed: templates as they rendered, their own source beside."""
        templates = {f: t for f, t in self.texts.items() if f.endswith(TEMPLATE_SUFFIXES)}
        return SourceIndex({**self.texts, **rendered}, templates=templates)


@dataclass(frozen=True)
class Replayed:
    diagnostics: list[Diagnostic]
    files: int
    manifests: int
    sources: SourceIndex


def _digest(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def fingerprint(
    paths: Sequence[str], options: Mapping[str, Any], root: Path | None, cwd: Path, lockfile: Path | None
) -> Fingerprint | None:
    """The digest of the run's inputs, or ``None`` when the run cannot be replayed (stdin)."""
    if STDIN in paths or not paths:
        return None
    try:
        root = (root or repository_root(paths, cwd)).resolve()
        found, refused = discover(paths, root, cwd)
    except UsageError:
        return None
    if refused:
        return None
    texts: dict[str, str] = {}
    listing = []
    for item in found:
        data = _read(item.path) if item.path is not None else None
        if data is None:
            return None
        texts[item.display] = data.decode("utf-8-sig", errors="replace")
        listing.append((item.display, _digest(data)))
    lock = _read(lockfile if lockfile is not None else cwd / DEFAULT_LOCKFILE)
    inputs = {
        "code": code_digest(),
        "root": str(root),
        "cwd": str(cwd),
        "paths": list(paths),
        "options": options,
        "files": listing,
        "lock": _digest(lock),
        "day": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    return Fingerprint(key, texts, len(found))


def _memo() -> Memo:
    return Memo.open(default_cache_dir(), f"results-{code_digest()}")


def _externals_unchanged(entry: Mapping[str, Any], env: Mapping[str, str], now: float) -> bool:
    expires = entry.get("expires")
    if expires is not None and now >= expires:
        return False
    for path, digest in entry.get("reads", []):
        if _digest(_read(Path(path))) != digest:
            return False
    for name, digest in entry.get("env", []):
        value = env.get(name)
        if _digest(value.encode() if value is not None else None) != digest:
            return False
    return True


def replay(fp: Fingerprint, env: Mapping[str, str], now: float) -> Replayed | None:
    """The kept result for these inputs, if there is one and nothing it read has changed."""
    entry = _memo().get(fp.key)
    if not isinstance(entry, dict) or not _externals_unchanged(entry, env, now):
        return None
    try:
        diagnostics = [
            Diagnostic(
                d["code"],
                Severity(d["severity"]),
                d["summary"],
                d["detail"],
                d["file"],
                d["line"],
                d["column"],
                tuple(d["path"]),
            )
            for d in entry["diagnostics"]
        ]
        rendered = {str(f): str(t) for f, t in entry.get("rendered", {}).items()}
        return Replayed(diagnostics, int(entry["count"]), int(entry["manifests"]), fp.sources(rendered))
    except (KeyError, TypeError, ValueError):
        return None


def remember(
    fp: Fingerprint,
    diagnostics: Sequence[Diagnostic],
    manifests: int,
    external_files: Sequence[Path],
    env_names: Sequence[str],
    env: Mapping[str, str],
    expires: float | None,
    rendered: Mapping[str, str] | None = None,
) -> None:
    """Keep a full run's result for the next run with the same inputs.

    ``rendered`` is the text each template rendered to, so a replay shows the same excerpts.
    """
    memo = _memo()
    memo.entries = dict(list(memo.entries.items())[-(MAX_RESULTS - 1) :])
    memo.put(
        fp.key,
        {
            "diagnostics": [d.to_json() for d in diagnostics],
            "count": fp.files,
            "manifests": manifests,
            "reads": [[str(p), _digest(_read(p))] for p in external_files],
            "env": [[n, _digest(env[n].encode()) if n in env else None] for n in env_names],
            "expires": expires,
            "rendered": dict(rendered or {}),
        },
    )
    memo.save()
