"""Output paths named on the command line, checked before any work is done.

A command that writes where the user said (``--out FILE``, ``--lockfile``, ``compile --out DIR``)
checks the path first, so a mistake is a usage error (exit 2) naming the option and the fix, not a
failure after minutes of work:

- a **file** (``preannotate --out``, ``rules export --out``, ``plan --out``, ``lock --lockfile``)
  must not be a folder (``--out .``) or anything but a regular file (renaming over ``/dev/null``
  would replace the device), must go into a folder that exists (alabctl never creates the folders
  above a file it is told to write, like ``cp`` or a compiler's ``-o``), and must not be one of the
  command's inputs under any spelling (``--out x --tasks ./x`` would replace the tasks);
- a **folder** (``compile --out``, ``rules import --out``) must not be an existing file; it is
  created with the folders above it, as a build folder always has been.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alabctl.spec.errors import UsageError


def check_file(path: Path, option: str, example: str, inputs: Iterable[tuple[str, Path]] = ()) -> None:
    """Raise a :class:`UsageError` unless ``path`` is a file ``option`` may write (see the module).

    ``example`` is a good value for ``option`` (shown in the hint); ``inputs`` are the command's
    input files as ``(option, path)``, none of which ``path`` may be.
    """
    hint = f"choose another {option}: a file path, e.g. {option} {example}"
    if path.name in ("", ".", "..") or path.is_dir():
        raise UsageError(f"{option} '{path}' is a folder, not a file", hint)
    if path.exists() and not path.is_file():
        raise UsageError(f"{option} '{path}' is not a regular file (a device, a FIFO or a socket)", hint)
    parent = path.parent
    if not parent.is_dir():
        if parent.exists():
            raise UsageError(f"{option} '{path}': '{parent}' is not a folder", hint)
        raise UsageError(
            f"{option} '{path}': the folder '{parent}' does not exist",
            f"create it first (mkdir -p {parent}), or choose another {option}",
        )
    for input_option, input_path in inputs:
        if _same_file(path, input_path):
            raise UsageError(
                f"{option} '{path}' is the same file as {input_option} '{input_path}': "
                "writing it would replace the input",
                f"write to another file, e.g. {option} {example}",
            )


def check_folder(path: Path, option: str, example: str) -> None:
    """Raise a :class:`UsageError` when ``path``, a folder ``option`` writes, is an existing file."""
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{option} '{path}' exists and is not a folder",
            f"choose another {option}: a folder, e.g. {option} {example}",
        )


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (through links, ``..`` or hard links); False if either is missing."""
    try:
        return a.samefile(b)
    except (OSError, ValueError):
        return False
