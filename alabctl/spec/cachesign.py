"""Signed cache files: a cache entry is used only if this user's secret key signed it.

alabctl's caches (parse cache, check memo, replayed validations) live in a cache folder that may be
shared — a CI cache restored from another job, a folder others can write. A cached verdict cannot
be re-verified without redoing the work, so every cache file carries an HMAC-SHA256 over its exact
bytes, made with a secret only this user holds:

* ``$ALABCTL_CACHE_KEY`` when set (in CI: a repository secret, so forks' pull requests, which do
  not get secrets, never use or poison the shared cache), else
* a random 32-byte key in ``$XDG_CONFIG_HOME/alabctl/cache.key`` (``~/.config/alabctl/cache.key``),
  created with mode 0600 and used only while it is a regular file owned by this user that nobody
  else can read or write, and that is not inside the cache folder.

Without a usable key, caches are neither read nor written. A file whose signature, version or
shape does not check out is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Any

from alabctl.files import write_atomic

KEY_ENV = "ALABCTL_CACHE_KEY"
FORMAT = "alabctl-cache"
MAX_CACHE_BYTES = 256 << 20
"""A cache file larger than this is ignored (and rewritten smaller)."""


def key_file(env: dict[str, str] | None = None) -> Path:
    """Where the per-user cache key is kept."""
    env = dict(os.environ) if env is None else env
    xdg = env.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "alabctl" / "cache.key"


def _within(path: Path, folder: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
            return None
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    return data if len(data) >= 32 else None


def _create_key(path: Path) -> bytes | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError:
        return None
    data = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return data


def secret(cache_dir: Path) -> bytes | None:
    """This user's cache key, or ``None`` when there is no usable one (then caches are off)."""
    explicit = os.environ.get(KEY_ENV)
    if explicit:
        return hashlib.sha256(explicit.encode()).digest()
    try:
        path = key_file()
    except (RuntimeError, KeyError):  # no home folder to keep the key in: no caches
        return None
    if _within(path, cache_dir):
        return None
    return _read_key(path) or _create_key(path)


def _mac(key: bytes, kind: str, version: int, body: bytes) -> str:
    return hmac.new(key, f"{FORMAT}\n{kind}\n{version}\n".encode() + body, hashlib.sha256).hexdigest()


def read_signed(path: Path, kind: str, version: int) -> Any:
    """The value kept in ``path`` when it is signed with this user's key; ``None`` otherwise."""
    key = secret(path.parent)
    if key is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    header, newline, body = raw.partition(b"\n")
    try:
        meta = json.loads(header)
        if not newline or not isinstance(meta, dict):
            return None
        if meta.get("format") != FORMAT or meta.get("kind") != kind or meta.get("version") != version:
            return None
        if not hmac.compare_digest(str(meta.get("mac", "")), _mac(key, kind, version, body)):
            return None
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _encode(value: Any) -> bytes:
    """Compact JSON, read back by ``json.loads`` as ``json.dumps`` would have written it.

    pydantic-core's encoder (several times faster on a large parse cache) is used when a run has
    loaded it already; a value it refuses (a lone surrogate) goes through ``json`` instead.
    """
    core = sys.modules.get("pydantic_core")
    if core is not None:
        with contextlib.suppress(ValueError, TypeError):
            encoded: bytes = core.to_json(value, inf_nan_mode="constants")
            return encoded
    return json.dumps(value, separators=(",", ":")).encode()


def write_signed(path: Path, kind: str, version: int, value: Any) -> None:
    """Write ``value`` signed, atomically; a cache that cannot be written (or signed) is skipped."""
    key = secret(path.parent)
    if key is None:
        return
    body = _encode(value)
    header = json.dumps(
        {"format": FORMAT, "kind": kind, "version": version, "mac": _mac(key, kind, version, body)}
    )
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, header.encode() + b"\n" + body)
