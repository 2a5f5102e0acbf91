"""A screenshot of a pre-annotated task in Label Studio, taken in headless Chromium.

Starts the tests' Label Studio and regex pre-annotation server, applies a project with a few tasks
(created, connected, imported, predicted by alabctl), logs in, and has Chromium (Debian package
``chromium``) render the task's labeling page through the DevTools protocol over a pipe.

    .venv/bin/python -m tests.labelstudio.screenshot docs/img/labelstudio-task.png
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from alabctl.reconcile.labelstudio import Connection, DesiredProject, LabelStudioClient, apply, plan
from alabctl.spec.tasks import TaskRecord
from tests.labelstudio.backend import RuleBackend
from tests.labelstudio.server import PASSWORD, USER, make_venv, start, stop

CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="Height" background="#2e86de"/>
    <Label value="Gender" background="#e67e22"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>
"""
NOTES = (
    "The patient is a 45 year old man, 5'11 tall, seen for chest pain. He reports no allergies.",
    "She is 5'4 and reports headaches for two weeks; her mother had migraines.",
)
RULES = {"Height": r"[0-7]'(1[01]|0?[0-9])", "Gender": r"\b([Mm]an|[Ss]he|[Hh]e|[Hh]er|mother)\b"}


class DevTools:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe`` (fds 3 and 4, NUL-framed JSON)."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            preexec_fn=fds,
            close_fds=False,  # closing would run after preexec_fn and drop fds 3 and 4
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


def login(url: str) -> str:
    """The session cookie of the test user, through Label Studio's login form."""
    http = requests.Session()
    page = http.get(f"{url}/user/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    http.post(
        f"{url}/user/login/",
        data={"email": USER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{url}/user/login/"},
        timeout=30,
    )
    session = http.cookies.get("sessionid")
    assert session, "login failed"
    return session


def shoot(url: str, session: str, page: str, out: Path, chromium: str) -> None:
    with tempfile.TemporaryDirectory(prefix="alabctl-chromium-") as profile:
        tools = DevTools(chromium, Path(profile))
        try:
            target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            sid = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            tools.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1400, "height": 820, "deviceScaleFactor": 1, "mobile": False},
                sid,
            )
            tools.send("Network.setCookie", {"name": "sessionid", "value": session, "url": url}, sid)
            tools.send("Page.navigate", {"url": f"{url}{page}"}, sid)
            time.sleep(12)  # the labeling app loads its bundle and renders the regions
            shot = tools.send("Page.captureScreenshot", {"format": "png"}, sid)["data"]
        finally:
            tools.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="the PNG to write")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    venv = make_venv()
    if isinstance(venv, str):
        raise SystemExit(venv)
    with tempfile.TemporaryDirectory(prefix="alabctl-shot-") as tmp:
        running = start(venv, Path(tmp))
        try:
            with RuleBackend({"notes": RULES}) as backend:
                project = DesiredProject(
                    name="notes",
                    instance="ls",
                    title="Patient notes",
                    description="Heights and genders, pre-annotated by rules",
                    label_config=CONFIG,
                    tasks=tuple(
                        TaskRecord({"text": t}, "notes.jsonl", i + 1, 1) for i, t in enumerate(NOTES)
                    ),
                    backend_url=f"{backend.url}/p/notes",
                    predict_url=f"{backend.url}/p/notes",
                )
                conns = {"ls": Connection(running.url, running.token, True, "ls")}
                [result] = apply(plan([project], conns))
                assert not result.error, result.error
                client = LabelStudioClient(conns["ls"])
                first = next(iter(client.tasks(result.project_id or 0, full=True)))
                client.close()
                page = f"/projects/{result.project_id}/data?task={first['id']}"
                shoot(running.url, login(running.url), page, args.out, chromium)
        finally:
            stop(running)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
