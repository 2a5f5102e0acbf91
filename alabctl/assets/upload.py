"""``alabctl models upload``: install a Spark NLP model folder or zip into the store.

The folder (or the zip's content) must be a saved Spark ML model (``metadata/part-00000`` with a
class); labels are required; the 2 x free-space rule applies; the install is atomic.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alabctl.assets.archive import DEFAULT_LIMITS, Limits, install_tree, model_root, unpack
from alabctl.assets.download import check_space, disk_free
from alabctl.assets.home import Home
from alabctl.assets.store import AssetRow, Source, Status, Store
from alabctl.compile.sparknlp.metadata import MetadataError, read_metadata
from alabctl.spec.errors import PermanentError, UserError
from alabctl.spec.lock import AssetType
from alabctl.spec.yamlsrc import IntegerTooLong, resolve_plain


@dataclass(frozen=True)
class Upload:
    """What to install."""

    path: Path
    name: str
    task: str
    labels: tuple[str, ...]
    embeddings: str | None = None
    language: str = "en"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        sha.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as src:
            while chunk := src.read(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


def upload(
    request: Upload,
    home: Home,
    store: Store,
    *,
    free_space: Callable[[Path], int] = disk_free,
    limits: Limits = DEFAULT_LIMITS,
) -> AssetRow:
    """Check and install; returns the inventory row. Nothing is installed when a check fails."""
    path = request.path
    if not request.labels:
        raise UserError("an uploaded model must say the labels it predicts", "pass --labels A,B,...")
    if not path.exists():
        raise UserError(f"{path} does not exist")
    size = _size(path)
    check_space(size, free_space(home.root), request.name)
    home.ensure()
    sha = _digest(path)
    key = f"{request.name}_{request.language}_upload_{sha[:12]}"
    target = home.asset_dir(key)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=home.tmp))
    try:
        staged = work / "model"
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise UserError(f"{path} is neither a model folder nor a zip")
            unpack(path, staged, work / "unzip", limits)
        else:
            shutil.copytree(model_root(path), staged, symlinks=True)
            if any(p.is_symlink() for p in staged.rglob("*")):
                raise UserError(f"{path} contains symbolic links; upload a plain folder")
        try:
            meta = read_metadata(staged)
        except MetadataError as exc:
            raise PermanentError(
                f"cannot read the metadata of {path}: {exc}",
                "save the model with model.write().save(path) and upload that folder or a zip of it",
            ) from None
        ref = meta.needs if not meta.is_embeddings else (meta.storage_ref or request.name)
        if request.embeddings and ref and request.embeddings != ref:
            raise UserError(
                f"the model was trained with the embeddings '{ref}', not '{request.embeddings}'",
                "drop --embeddings or pass the storageRef its metadata names",
            )
        install_tree(staged, target, replace=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = AssetRow(
        name=request.name,
        type=AssetType.EMBEDDINGS if meta.is_embeddings else AssetType.MODEL,
        key=key,
        source=Source.UPLOAD,
        status=Status.READY,
        size=size,
        sha256=sha,
        labels=request.labels,
        language=request.language,
        storage_ref=request.embeddings or ref,
        task=request.task,
        edition="opensource",
    )
    return store.put(row)


def manifest_name(text: str) -> str:
    """A valid manifest name for ``text``: lowercase letters, digits, ``_ . -`` (``My NER`` -> ``my_ner``)."""
    name = re.sub(r"[^a-z0-9_.-]+", "_", text.lower()).strip("_.-")[:63].rstrip("_.-")
    return name or "model"


def manifest_path(path: Path, cwd: Path) -> tuple[str, str]:
    """The ``source.path`` of a manifest saved in ``cwd``, and where to save it (as a comment).

    A model outside ``cwd`` is outside the repository a manifest there can name: the path then
    suggests where to copy it.
    """
    full = (cwd / path).resolve()
    base = cwd.resolve()
    if full.is_relative_to(base) and full != base:
        return full.relative_to(base).as_posix(), "save it in this folder (source.path is relative to it)"
    suggested = f"models/{full.name}"
    return suggested, (
        f"{path} is outside this folder: copy it to {suggested} and save the manifest here "
        "(source.path is relative to the manifest's folder and must stay in the repository)"
    )


def manifest_yaml(request: Upload, row: AssetRow, source_path: str) -> str:
    """The Model manifest to commit for an uploaded model (it validates as it is)."""
    lines = [
        "apiVersion: alabctl/v1",
        "kind: Model",
        "metadata:",
        f"  name: {manifest_name(request.name)}",
        "spec:",
        f"  task: {request.task}",
        "  source:",
        f"    path: {_scalar(source_path)}",
        f"  labels: [{', '.join(_scalar(label) for label in request.labels)}]",
    ]
    if row.storage_ref:
        lines.append(f"  embeddings: {_scalar(row.storage_ref)}")
    if request.language != "en":
        lines.append(f"  language: {request.language}")
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when YAML reads it back as the same string, else quoted."""
    try:
        plain = re.fullmatch(r"[A-Za-z0-9_/][A-Za-z0-9_ ./-]*", text) and resolve_plain(text) == text
    except IntegerTooLong:
        plain = False
    if plain:
        return text.rstrip() if text == text.rstrip() else json.dumps(text)
    return json.dumps(text)


def split_labels(text: str | None) -> tuple[str, ...]:
    """``A,B , C`` as ``("A", "B", "C")``."""
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())
