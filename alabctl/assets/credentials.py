"""AWS credentials for licensed hub folders, read from a John Snow Labs license JSON.

The license is found where its ``kind: License`` manifest says (``fromEnv``: an environment
variable holding the JSON; ``fromFile``: a file holding it). Only these fields are read:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, and optionally ``AWS_SESSION_TOKEN`` and
``AWS_REGION`` (default ``us-east-1``). The material is never printed, logged or stored.

Hub commands read it through :class:`LicenseKeys`: only when a licensed folder is requested, so a
License manifest whose license is missing or has no AWS keys does not stop work on public folders.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alabctl.spec.errors import UserError
from alabctl.spec.readfile import FileKind, FileReadError, read_text

if TYPE_CHECKING:  # the manifest models load only when a License manifest is read
    from alabctl.spec.kinds import LicenseSpec


@dataclass(frozen=True)
class AwsCredentials:
    """Keys to sign hub requests with (SigV4). ``repr`` never shows them."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str = "us-east-1"


def parse_license(text: str, where: str) -> AwsCredentials:
    """The AWS keys in a license JSON; errors name the place, never the content."""
    try:
        data = json.loads(text)
    except ValueError:
        raise UserError(
            f"the license in {where} is not valid JSON", "use the license JSON John Snow Labs gave you"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"the license in {where} is not a JSON object")
    key, secret = data.get("AWS_ACCESS_KEY_ID"), data.get("AWS_SECRET_ACCESS_KEY")
    if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
        raise UserError(
            f"the license in {where} has no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
            "licensed hub folders are downloaded with the license's AWS keys",
        )
    token = data.get("AWS_SESSION_TOKEN")
    region = data.get("AWS_REGION")
    return AwsCredentials(
        key,
        secret,
        token if isinstance(token, str) and token else None,
        region if isinstance(region, str) and region else "us-east-1",
    )


def load_credentials(
    spec: LicenseSpec, base: Path | None = None, env: Mapping[str, str] | None = None
) -> AwsCredentials:
    """Read the license a License manifest points at: the variable when set, else the file.

    A relative file is relative to ``base`` (the manifest's folder).
    """
    env = os.environ if env is None else env
    if spec.from_env and env.get(spec.from_env):
        return parse_license(env[spec.from_env], f"${spec.from_env}")
    if spec.from_file is None:
        raise UserError(
            f"the license environment variable {spec.from_env} is not set",
            f"export {spec.from_env} with the license JSON",
        )
    path = Path(spec.from_file).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        text = read_text(path, FileKind.LICENSE)
    except FileReadError as exc:
        raise UserError(f"cannot read the license file {path}: {exc.reason}", exc.hint) from None
    return parse_license(text, str(path))


class LicenseKeys:
    """A license's AWS keys, read the first time a licensed folder needs them, then kept.

    ``read`` raises a :class:`UserError` when the keys can not be had (no variable, no file, no
    keys in the JSON); that outcome is kept too, so a command reads the license at most once and
    every licensed request fails the same way.
    """

    def __init__(self, read: Callable[[], AwsCredentials]) -> None:
        self._read = read
        self._guard = threading.Lock()
        self._keys: AwsCredentials | None = None
        self._error: UserError | None = None

    def get(self) -> AwsCredentials:
        """The keys; a :class:`UserError` (the same message each time) when they can not be read."""
        with self._guard:
            if self._keys is None and self._error is None:
                try:
                    self._keys = self._read()
                except UserError as exc:
                    self._error = exc
            if self._error is not None:
                raise UserError(self._error.message, self._error.hint)
            assert self._keys is not None
            return self._keys
