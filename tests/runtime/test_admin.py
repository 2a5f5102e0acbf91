"""The admin token: created once with mode 0600, shared, refused when others can read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from alabctl.assets.home import Home
from alabctl.runtime.admin import admin_token
from alabctl.spec.errors import UserError


def test_the_token_is_created_0600_and_reused(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    token = admin_token(home)
    path = home.root / "admin-token"
    assert len(token) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert admin_token(home) == token
    assert [p.name for p in home.root.iterdir()] == ["admin-token"]


def test_a_token_others_can_read_is_refused(tmp_path: Path) -> None:
    home = Home(tmp_path)
    (tmp_path / "admin-token").write_text("secret\n")
    (tmp_path / "admin-token").chmod(0o644)
    with pytest.raises(UserError, match="readable by others") as caught:
        admin_token(home)
    assert "chmod 600" in caught.value.hint


def test_a_home_that_can_not_hold_the_token_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(UserError, match="can not read or make the admin token in") as caught:
        admin_token(Home(tmp_path / "a-file"))
    assert "--home" in caught.value.hint
