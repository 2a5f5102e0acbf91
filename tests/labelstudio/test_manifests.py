"""Label Studio from manifests: every example's config, the API entry points, and a Label Studio that is down."""

from __future__ import annotations

import io
import shutil
import ssl
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from alabctl import api
from alabctl.cli.main import main
from alabctl.compile.labelconfig import compile_label_config
from alabctl.reconcile.labelstudio import (
    Connection,
    LabelStudioClient,
    LabelStudioError,
    Outcome,
    apply,
    plan,
)
from alabctl.spec.errors import UserError
from tests.conftest import EXAMPLES
from tests.labelstudio.backend import RuleBackend
from tests.labelstudio.helpers import connect, desired, tasks
from tests.labelstudio.server import RunningLabelStudio, free_port

MANIFESTS = """\
apiVersion: alabctl/v1
kind: LabelStudio
metadata: {{name: local}}
spec:
  url: {url}
  token: {{fromEnv: LS_TOKEN_FOR_TEST}}
---
apiVersion: alabctl/v1
kind: Rule
metadata: {{name: person}}
spec:
  entity: PER
  regex: "Alice|Bob"
---
apiVersion: alabctl/v1
kind: Project
metadata: {{name: people}}
spec:
  ner:
    rules: [person]
  labelStudio:
    instance: local
    title: {title}
    tasks: ["tasks/*.jsonl"]
"""


@pytest.mark.labelstudio
def test_every_example_config_creates_a_project(labelstudio: RunningLabelStudio) -> None:
    report = api.validate(api.Inputs(paths=[str(EXAMPLES)], cwd=EXAMPLES.parent), skip_license_check=True)
    repo = report.repository
    projects = repo.projects()
    assert len(projects) >= 5
    wanted = [
        desired(project.name, compile_label_config(project, repo).decode(), tasks=tasks())
        for project, _ in projects
    ]
    conns = connect(labelstudio.url, labelstudio.token)
    results = apply(plan(wanted, conns))
    assert [r.outcome for r in results] == [Outcome.CREATED] * len(wanted), [r.error for r in results]
    client = LabelStudioClient(conns["ls"])
    try:
        for want, result in zip(wanted, results, strict=True):
            assert client.project(result.project_id or 0)["label_config"] == want.label_config.strip()
    finally:
        client.close()


@pytest.mark.labelstudio
def test_plan_and_apply_from_manifests(
    labelstudio: RunningLabelStudio, make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    title = f"people {uuid.uuid4().hex[:8]}"
    root = make_repo(
        {
            "alab.yaml": MANIFESTS.format(url=labelstudio.url, title=title),
            "tasks/a.jsonl": '{"text": "Alice met Bob"}\n{"data": {"text": "Carol"}}\n',
        }
    )
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", labelstudio.token)
    inputs = api.Inputs(paths=[str(root)], cwd=root)
    report = api.validate(inputs)
    assert report.valid, [d.summary for d in report.diagnostics]
    home = tmp_path / "home"
    first = api.labelstudio_plan(report, home=home)
    assert first is not None
    assert [a.verb.value for a in first.projects[0].actions] == ["create", "import", "connect", "predict"]
    assert "connect server 'people' as the ML backend once it runs" in first.projects[0].actions[2].reason
    [result] = api.labelstudio_apply(first)
    assert result.outcome is Outcome.FAILED, "the server does not run: nothing to connect"
    assert "pre-annotation server 'people' does not run" in result.error
    assert result.done == (f"created project {result.project_id}", "imported 2 tasks")
    [row] = api.labelstudio_projects(inputs, home=home)
    assert (row.name, row.id, row.tasks, row.annotated, row.backend) == (
        "people",
        result.project_id,
        2,
        0,
        "none",
    )
    assert row.url == f"{labelstudio.url}/projects/{result.project_id}"
    again = api.labelstudio_plan(report, home=home)
    assert again is not None
    assert [a.verb.value for a in again.projects[0].actions] == ["connect", "predict"]
    capsys.readouterr()
    assert main(["get", "projects", "-f", str(root), "--home", str(home), "-o", "yaml"]) == 0
    [listed] = YAML(typ="safe").load(capsys.readouterr().out)
    assert (listed["name"], listed["id"], listed["tasks"]) == ("people", result.project_id, 2)


def test_label_studio_down_is_a_clear_error_before_anything_changes(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(
        LabelStudioError, match=f"cannot reach Label Studio at {url}: connection refused"
    ) as info:
        plan([desired("down", "<View/>", tasks=tasks("x"))], connect(url, "secret-token-123"))
    assert "secret-token-123" not in str(info.value) + info.value.hint
    assert "fix 'url' in the LabelStudio manifest" in info.value.hint


def test_a_token_variable_that_is_not_set_is_a_clear_error(
    make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    root = make_repo(
        {
            "alab.yaml": MANIFESTS.format(url="http://127.0.0.1:9", title="people here"),
            "tasks/a.jsonl": '{"text": "Alice"}\n',
        }
    )
    monkeypatch.delenv("LS_TOKEN_FOR_TEST", raising=False)
    report = api.validate(api.Inputs(paths=[str(root)], cwd=root))
    with pytest.raises(UserError, match="LS_TOKEN_FOR_TEST for LabelStudio 'local' is not set"):
        api.labelstudio_plan(report, home=tmp_path / "home")


def test_apply_with_label_studio_down_changes_nothing(
    make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{free_port()}"
    root = make_repo(
        {"alab.yaml": MANIFESTS.format(url=url, title="people down"), "tasks/a.jsonl": '{"text": "Alice"}\n'}
    )
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", "some-token")
    home = tmp_path / "home"
    with pytest.raises(LabelStudioError, match="cannot reach Label Studio"):
        api.apply(api.Inputs(paths=[str(root)], cwd=root), home=home)
    assert api.servers(home=home) == [], "no server was started"


@pytest.mark.parametrize("where", ["env", "file"])
def test_a_token_that_is_not_one_word_is_refused_without_showing_it(
    make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:  # type: ignore[no-untyped-def]
    manifests = MANIFESTS.format(url="http://127.0.0.1:9", title="people here")
    if where == "file":
        manifests = manifests.replace("{fromEnv: LS_TOKEN_FOR_TEST}", "{fromFile: token.txt}")
    root = make_repo({"alab.yaml": manifests, "tasks/a.jsonl": '{"text": "Alice"}\n', "token.txt": ""})
    secret = "s3cret-line-one\ns3cret-line-two"
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", secret)
    (root / "token.txt").write_text(secret + "\n")
    report = api.validate(api.Inputs(paths=[str(root)], cwd=root))
    with pytest.raises(UserError, match="does not hold one API token") as info:
        api.labelstudio_plan(report, home=tmp_path / "home")
    assert "s3cret" not in info.value.message + info.value.hint


def test_the_client_never_shows_a_token_an_http_header_cannot_carry() -> None:
    client = LabelStudioClient(connect(f"http://127.0.0.1:{free_port()}", "s3cret-one\ns3cret-two")["ls"])
    try:
        with pytest.raises(LabelStudioError, match="not one line of printable characters") as info:
            client.check()
    finally:
        client.close()
    assert "s3cret" not in info.value.message + (info.value.hint or "")


@pytest.mark.labelstudio
def test_a_personal_access_token_works(labelstudio: RunningLabelStudio) -> None:
    """Account & Settings hands out personal access tokens (JWT refresh tokens): alabctl exchanges
    one for an access token, as Label Studio's API requires."""
    legacy = LabelStudioClient(connect(labelstudio.url, labelstudio.token)["ls"])
    try:
        pat = legacy.request("POST", "/api/token/")["token"]
    except LabelStudioError as exc:
        if "(HTTP 409)" not in exc.message:
            raise
        pytest.skip("this Label Studio's user has its one personal access token already (a reused server)")
    finally:
        legacy.close()
    conns = connect(labelstudio.url, pat)
    d = desired("pat", "<View><Text name='text' value='$text'/></View>", tasks=tasks("one", "two"))
    [result] = apply(plan([d], conns))
    assert result.outcome is Outcome.CREATED, result.error
    assert not plan([d], conns).changes
    expired = LabelStudioClient(connect(labelstudio.url, pat[:-2] + "xx")["ls"])
    try:
        with pytest.raises(LabelStudioError, match=r"refused the API token \(HTTP 401\)"):
            expired.check()
    finally:
        expired.close()


def test_a_url_that_is_not_label_studio_says_so() -> None:
    with (
        RuleBackend({}) as other,  # an HTTP server that answers 200 to any GET, but no Label Studio
        pytest.raises(LabelStudioError, match="does not answer as Label Studio") as info,
    ):
        plan([desired("elsewhere", "<View/>")], connect(other.url, "some-token"))
    assert "fix 'url' in the LabelStudio manifest 'ls'" in (info.value.hint or "")


@pytest.mark.labelstudio
def test_plan_exits_1_when_apply_would_refuse_a_config_change(
    labelstudio: RunningLabelStudio, make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    title = f"refused {uuid.uuid4().hex[:8]}"
    text = MANIFESTS.format(url=labelstudio.url, title=title)
    root = make_repo({"alab.yaml": text, "tasks/a.jsonl": '{"text": "Alice"}\n'})
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", labelstudio.token)
    home = tmp_path / "home"
    first = api.labelstudio_plan(api.validate(api.Inputs(paths=[str(root)], cwd=root)), home=home)
    assert first is not None
    [created] = api.labelstudio_apply(first)  # no server runs: created and imported, not connected
    client = LabelStudioClient(connect(labelstudio.url, labelstudio.token)["ls"])
    try:
        [task] = client.tasks(created.project_id or 0, full=True)
        region = {"start": 0, "end": 5, "text": "Alice", "labels": ["PER"]}
        client.create_annotation(
            task["id"], [{"from_name": "label", "to_name": "text", "type": "labels", "value": region}]
        )
    finally:
        client.close()
    (root / "alab.yaml").write_text(text.replace("entity: PER", "entity: PERSON"))
    assert main(["plan", "-f", str(root), "--home", str(home)]) == 1
    out = capsys.readouterr().out
    assert "refuse     labelstudioproject/people: the new config removes labels that 1 annotation uses" in out
    assert "0 project(s) to change, 0 up to date, 1 refused: apply changes nothing anywhere" in out


@pytest.mark.labelstudio
def test_a_block_scalar_description_and_a_padded_title_are_applied_once(
    labelstudio: RunningLabelStudio, make_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Label Studio trims a project's title and description; that is not a change to apply again."""
    title = f"padded {uuid.uuid4().hex[:8]}"
    text = MANIFESTS.format(url=labelstudio.url, title=f'" {title} "').replace(
        "  ner:\n", "  description: |\n    People\n    in notes.\n  ner:\n"
    )
    root = make_repo({"alab.yaml": text, "tasks/a.jsonl": '{"text": "Alice"}\n'})
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", labelstudio.token)
    report = api.validate(api.Inputs(paths=[str(root)], cwd=root))
    assert report.valid, [d.summary for d in report.diagnostics]
    home = tmp_path / "home"
    first = api.labelstudio_plan(report, home=home)
    assert first is not None
    [created] = api.labelstudio_apply(first)
    assert created.project_id is not None, created.error
    again = api.labelstudio_plan(report, home=home)
    assert again is not None
    [project] = again.projects
    assert project.observed is not None and project.observed.id == created.project_id
    assert [a.verb.value for a in project.actions] == ["connect", "predict"], "no create, no update"


class _Whoami(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": 1}')

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_untrusted_tls_certificate_says_to_set_tls_verify(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    make = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    subprocess.run([*make, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Whoami)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        strict = LabelStudioClient(connect(url, "some-token")["ls"])
        with pytest.raises(LabelStudioError, match="TLS certificate this machine does not trust") as info:
            strict.check()
        strict.close()
        assert "set 'tlsVerify: false' in the LabelStudio manifest 'ls'" in (info.value.hint or "")
        lenient = LabelStudioClient(Connection(url, "some-token", False, "ls"))
        lenient.check()  # tlsVerify: false talks to it
        lenient.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.labelstudio
def test_apply_asks_before_pruning_label_studio_tasks_and_shows_them(
    labelstudio: RunningLabelStudio,
    make_repo,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys,
) -> None:  # type: ignore[no-untyped-def]
    from alabctl.cli.apply import _confirm

    title = f"asked {uuid.uuid4().hex[:8]}"
    root = make_repo(
        {
            "alab.yaml": MANIFESTS.format(url=labelstudio.url, title=title),
            "tasks/a.jsonl": '{"text": "Alice"}\n{"text": "Bob"}\n',
        }
    )
    monkeypatch.setenv("LS_TOKEN_FOR_TEST", labelstudio.token)
    home = tmp_path / "home"
    inputs = api.Inputs(paths=[str(root)], cwd=root)
    first = api.labelstudio_plan(api.validate(inputs), home=home)
    assert first is not None
    [created] = api.labelstudio_apply(first)
    (root / "tasks" / "a.jsonl").write_text('{"text": "Alice"}\n')
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    try:
        api.apply(inputs, home=home, prune=True, confirm=_confirm)
    finally:
        api.down(home=home)
    asked = capsys.readouterr().out
    assert "prune      labelstudioproject/people: 1 task alabctl imported is no longer in the" in asked
    assert asked.rstrip().endswith("Apply these changes? [y/N]")
    client = LabelStudioClient(connect(labelstudio.url, labelstudio.token)["ls"])
    try:
        assert len(list(client.tasks(created.project_id or 0))) == 2, "answered no: nothing pruned"
    finally:
        client.close()


def test_get_projects_says_when_no_project_has_a_label_studio_block(
    make_repo, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    rule_and_project = MANIFESTS.format(url="http://127.0.0.1:9", title="x").split("---\n", 1)[1]
    root = make_repo({"alab.yaml": rule_and_project.split("  labelStudio:")[0]})
    assert main(["get", "projects", "-f", str(root), "--home", str(tmp_path / "home")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no project in these manifests has a labelStudio block")
