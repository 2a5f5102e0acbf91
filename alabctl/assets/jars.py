"""The Spark NLP jars, fetched from a Maven repository by a pinned list: no Maven, no download at run time.

``sparknlp-jars.json`` (beside this module; written by ``scripts/pin-sparknlp-jars`` from
``scripts/sparknlp-jars/pom.xml``) lists every jar the ``sparknlp`` engine needs beside pyspark,
each with its path on a Maven repository, its size and its sha256. :func:`fetch_jars` downloads
the ones a folder lacks into a staging folder beside it (kept across failed runs, so a re-run
resumes), verifies each against the list, and swaps the complete set in at once; the folder's
``.complete`` file records which list it holds, so a second run with the same list does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from alabctl.spec.errors import AlabctlError, PermanentError, UserError
from alabctl.spec.names import url_problem

if TYPE_CHECKING:
    import requests

MAVEN_ENV = "ALABCTL_MAVEN_URL"
"""A Maven repository (a mirror, or a company proxy of Maven Central) to fetch the jars from."""
MARK = ".complete"
"""The file in a fetched folder that records the digest of the list it holds."""
PINS = "sparknlp-jars.json"


@dataclass(frozen=True)
class Jar:
    """One pinned jar: where it is on a Maven repository, and what it must be."""

    path: str
    """``group/as/folders/artifact/version/artifact-version[-classifier].jar``."""
    size: int
    sha256: str

    @property
    def name(self) -> str:
        """The file name (unique in a set)."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class JarSet:
    """The pinned jars of one Spark NLP version."""

    spark_nlp_version: str
    repository: str
    """Where they are published (Maven Central)."""
    jars: tuple[Jar, ...]

    @property
    def digest(self) -> str:
        """What identifies the set: the sha256 of its paths, sizes and digests."""
        lines = "".join(f"{j.path} {j.size} {j.sha256}\n" for j in self.jars)
        return hashlib.sha256(lines.encode()).hexdigest()

    @property
    def size(self) -> int:
        """Bytes of all the jars."""
        return sum(j.size for j in self.jars)


@dataclass(frozen=True)
class JarsReport:
    """What :func:`fetch_jars` did."""

    folder: Path
    fetched: int
    """Jars downloaded by this run."""
    kept: int
    """Jars already held (in the folder or from an earlier, interrupted run)."""
    downloaded: int
    """Bytes downloaded by this run."""
    unchanged: bool
    """The folder already held the whole set; nothing was touched."""


def parse_pins(text: str) -> JarSet:
    """A :class:`JarSet` from the JSON of ``sparknlp-jars.json`` (pure)."""
    data = json.loads(text)
    jars = tuple(Jar(str(j["path"]), int(j["size"]), str(j["sha256"])) for j in data["jars"])
    return JarSet(str(data["sparkNlpVersion"]), str(data["repository"]), jars)


def pinned() -> JarSet:
    """The jars this alabctl was released with."""
    return parse_pins(resources.files("alabctl.assets").joinpath(PINS).read_text(encoding="utf-8"))


def repository_url(flag: str | None, env: Mapping[str, str], default: str) -> str:
    """``--maven URL``, else ``$ALABCTL_MAVEN_URL``, else Maven Central; a UserError if it is no URL."""
    url = (flag or env.get(MAVEN_ENV) or default).rstrip("/")
    problem = url_problem(url)
    if problem:
        where = "--maven" if flag else MAVEN_ENV if env.get(MAVEN_ENV) else "the repository"
        raise UserError(
            f"{where} '{url}' {problem}", "give the repository's URL, e.g. https://repo1.maven.org/maven2"
        )
    return url


def is_complete(folder: Path, jar_set: JarSet) -> bool:
    """Whether ``folder`` holds this set as a finished fetch left it: its mark, and every jar at its size."""
    try:
        if (folder / MARK).read_text(encoding="utf-8").strip() != jar_set.digest:
            return False
        return all((folder / j.name).stat().st_size == j.size for j in jar_set.jars)
    except OSError:
        return False


@contextlib.contextmanager
def _one_at_a_time(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the folder's parent: a second fetch into the same place waits for
    the first (and then finds the folder complete)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise UserError(
            f"cannot create {folder.parent}: {exc.strerror or exc}", "check the folder's permissions"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check_target(folder: Path) -> None:
    """A UserError unless ``folder`` is new, empty, or one :func:`fetch_jars` filled before."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UserError(f"{folder} is not a folder", "give a new or empty folder (--dir DIR)")
    if folder.is_dir() and not (folder / MARK).is_file() and any(folder.iterdir()):
        raise UserError(
            f"{folder} holds files alabctl did not put there; it would replace the folder as a whole",
            "give a new or empty folder (--dir DIR), or move those files away",
        )


def _held(path: Path, jar: Jar) -> bool:
    """Whether ``path`` is this jar (size, then sha256)."""
    try:
        if path.stat().st_size != jar.size:
            return False
        with path.open("rb") as src:
            return hashlib.file_digest(src, "sha256").hexdigest() == jar.sha256
    except OSError:
        return False


def _take(old: Path, new: Path, jar: Jar) -> bool:
    """Bring a jar the folder already holds into the staging folder (a hard link, or a copy)."""
    if not _held(old, jar):
        return False
    try:
        os.link(old, new)
    except OSError:
        shutil.copyfile(old, new)
    return True


class _Total:
    """One progress line for every jar at once (on a terminal; silent otherwise)."""

    def __init__(self, total: int, stream: TextIO | None, stop: threading.Event) -> None:
        from alabctl.assets.download import Progress

        self.line = Progress("Spark NLP jars", total, stream, stop)
        self.lock = threading.Lock()
        self.done: dict[str, int] = {}

    def part(self, name: str) -> _Part:
        """What one jar's download reports to."""
        return _Part(self, name)

    def report(self, name: str, done: int) -> None:
        """Jar ``name`` holds ``done`` bytes (raises ``Interrupted`` once the command is)."""
        with self.lock:
            self.done[name] = done
            self.line.update(sum(self.done.values()))

    def close(self) -> None:
        """End the line."""
        self.line.close()


class _Part:
    """The progress of one jar, as :func:`alabctl.assets.download.fetch` reports it."""

    def __init__(self, total: _Total, name: str) -> None:
        self.total, self.name = total, name

    def update(self, done: int) -> None:
        self.total.report(self.name, done)

    def close(self) -> None:
        """A jar's attempt ended; the line goes on until every jar is done."""


def _download(session: requests.Session, url: str, staging: Path, jar: Jar, progress: _Total) -> None:
    """One jar into ``staging``: resumed from its ``.part`` file, verified, then renamed into place."""
    from alabctl.assets.download import fetch, verify

    part = staging / f"{jar.name}.part"
    digest = fetch(session, url, part, size=jar.size, max_bytes=jar.size, progress=progress.part(jar.name))
    try:
        verify(digest, size=jar.size, sha256=jar.sha256)
    except PermanentError:
        part.unlink(missing_ok=True)
        raise
    part.replace(staging / jar.name)


def _run_all(
    session: requests.Session,
    repository: str,
    staging: Path,
    todo: list[Jar],
    workers: int,
    stream: TextIO | None,
) -> list[tuple[Jar, AlabctlError]]:
    """Download ``todo`` with ``workers`` threads; the jars that failed, with why. An interrupt
    (Ctrl-C) stops every download at its next chunk, keeping what each holds for the next run."""
    from alabctl.assets.download import gather

    stop = threading.Event()
    progress = _Total(sum(j.size for j in todo), stream, stop)
    jobs = [
        functools.partial(_download, session, f"{repository}/{j.path}", staging, j, progress) for j in todo
    ]
    try:
        futures = gather(workers, jobs, stop)
    finally:
        progress.close()
    failures: list[tuple[Jar, AlabctlError]] = []
    for jar, future in zip(todo, futures, strict=True):
        error = future.exception()
        if isinstance(error, AlabctlError):
            failures.append((jar, error))
        elif error is not None:
            raise error
    return failures


def fetch_jars(
    folder: Path,
    repository: str,
    jar_set: JarSet,
    *,
    session: requests.Session,
    workers: int = 4,
    free: Callable[[Path], int] | None = None,
    stream: TextIO | None = None,
) -> JarsReport:
    """Make ``folder`` hold exactly ``jar_set``, downloaded from the Maven ``repository``.

    Nothing in ``folder`` changes until every jar is downloaded and verified; then the staging
    folder (``.<name>.partial`` beside it) replaces it by renames. A failed run leaves the jars it
    verified in the staging folder, and the next run downloads only the rest (a jar cut short
    resumes with HTTP ``Range``). The free disk must be at least twice what is left to download.
    """
    from alabctl.assets.download import disk_free

    folder = folder.expanduser().absolute()
    if is_complete(folder, jar_set):
        return JarsReport(folder, 0, len(jar_set.jars), 0, True)
    with _one_at_a_time(folder):
        if is_complete(folder, jar_set):  # another run finished it while this one waited
            return JarsReport(folder, 0, len(jar_set.jars), 0, True)
        return _fetch_into(folder, repository, jar_set, session, workers, free or disk_free, stream)


def _fetch_into(
    folder: Path,
    repository: str,
    jar_set: JarSet,
    session: requests.Session,
    workers: int,
    free: Callable[[Path], int],
    stream: TextIO | None,
) -> JarsReport:
    from alabctl.assets.download import check_space
    from alabctl.files import swap_folder

    _check_target(folder)
    staging = folder.with_name(f".{folder.name}.partial")
    if staging.is_symlink() or (staging.exists() and not staging.is_dir()):
        staging.unlink()  # never fetch through a link planted where the staging folder goes
    try:
        staging.mkdir(exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create {staging}: {exc.strerror or exc}", "check the folder's permissions"
        ) from None
    names = {j.name for j in jar_set.jars}
    for stale in staging.iterdir():
        if stale.name not in names and not (stale.name.endswith(".part") and stale.name[:-5] in names):
            _remove(stale)
    todo = [
        j
        for j in jar_set.jars
        if not _held(staging / j.name, j) and not _take(folder / j.name, staging / j.name, j)
    ]
    left = sum(j.size for j in todo)
    check_space(left, free(staging), "the Spark NLP jars")
    failures = _run_all(session, repository, staging, todo, workers, stream)
    if failures:
        raise _failed(failures, len(todo), staging)
    _write_mark(staging, jar_set)
    if not swap_folder(staging, folder):
        raise UserError(
            f"cannot move the jars into {folder}", "check the folder's permissions, then run again"
        )
    return JarsReport(folder, len(todo), len(jar_set.jars) - len(todo), left, False)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _write_mark(staging: Path, jar_set: JarSet) -> None:
    (staging / MARK).write_text(jar_set.digest + "\n", encoding="utf-8")


def _failed(failures: Sequence[tuple[Jar, AlabctlError]], tried: int, staging: Path) -> UserError:
    """One error for every jar that failed, naming the first few."""
    shown = "; ".join(f"{jar.name}: {exc.message}" for jar, exc in failures[:3])
    more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
    return UserError(
        f"{len(failures)} of {tried} jars could not be fetched: {shown}{more}",
        f"nothing was installed; run the command again to fetch the rest (the others are kept in {staging})",
    )
