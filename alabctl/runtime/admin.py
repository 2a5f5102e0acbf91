"""The admin token that authorizes ``POST /admin/reload``: ``$ALABCTL_HOME/admin-token``, mode 0600.

Created on first use with 32 random bytes (hex); every server on the machine and the reconciler
read the same file. A token file readable by others is refused.
"""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

from alabctl.assets.home import Home
from alabctl.files import create_once
from alabctl.spec.errors import UserError

TOKEN_FILE = "admin-token"


def token_path(home: Home) -> Path:
    return home.root / TOKEN_FILE


def admin_token(home: Home) -> str:
    """The token, created (0600, atomically) when missing; a user error when the home can not hold it."""
    try:
        return _token(home)
    except OSError as exc:
        raise UserError(
            f"can not read or make the admin token in {home.root}: {exc.strerror} ({exc.filename})",
            "give a folder alabctl may write with --home or $ALABCTL_HOME",
        ) from None


def _token(home: Home) -> str:
    path = token_path(home)
    home.root.mkdir(parents=True, exist_ok=True)
    create_once(path, secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UserError(
            f"{path} is readable by others (mode {mode:o})",
            f"chmod 600 {path}, or delete it to get a new one",
        )
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise UserError(f"{path} is empty", "delete it; alabctl serve creates a new one")
    return token
