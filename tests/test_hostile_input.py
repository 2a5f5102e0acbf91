"""Hostile repositories: nothing hangs, nothing is read outside, nothing crashes, nothing passes that should fail.

Each test builds its hostile input in a tmp folder. CLI runs that could hang run as real
subprocesses with a timeout, and the peak memory of ``validate`` over all of them is measured.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

import alabctl.compile.verify
from alabctl import replay
from alabctl.api import Inputs, compile, validate
from alabctl.outdir import MARKER
from alabctl.spec.cache import code_digest, default_cache_dir
from alabctl.spec.cachesign import key_file, write_signed
from alabctl.spec.errors import UserError
from tests.conftest import EXAMPLES

H = "apiVersion: alabctl/v1\n"
HUB = H + "kind: Hub\nmetadata:\n  name: h\nspec:\n"
RULE = H + "kind: Rule\nmetadata: {name: g}\nspec: {entity: G, dictionary: {file: g.csv}}\n"
PROJECT = (
    H + "kind: Project\nmetadata: {name: p}\nspec:\n  license: jsl\n  ner: {rules: [g]}\n  content: pdf\n"
)
TIMEOUT = 120


def cli(*argv: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``alabctl`` as a real process (a hang fails the test by its timeout instead of blocking it)."""
    return subprocess.run(
        [sys.executable, "-m", "alabctl", *argv],
        cwd=cwd,
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


# ---------------------------------------------------------------- 2. templates are bounded

TEMPLATES = {
    "repeat-string": "{{ 'a' * 10**9 }}",
    "repeat-list": "{{ ([1]*10**9)|length }}",
    "percent-width": "{{ '%999999999s' % 'a' }}",
    "center": "{{ 'a'|center(10**9) }}",
    "format-width": "{{ '{:>999999999}'.format(1) }}",
    "ljust": "{{ 'a'.ljust(10**9) }}",
    "nested-ranges": "{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
    "many-iterations": "{% for i in range(9000) %}{% for j in range(9000) %}{% endfor %}{% endfor %}",
    "doubling-macro": "{% macro f(x) %}{{ f(x ~ x) }}{% endmacro %}{{ f('a') }}",
    "concat": "{% set x = 'a' * 4000000 %}{% set y = x ~ x ~ x %}{{ y|length }}",
    "replace": "{% set x = 'a' * 10000 %}{{ x|replace('a', 'b' * 10000) }}",
    "join": "{% set x = ['a' * 1000000] * 100 %}{{ x|join('') }}",
    "power": "{{ 7 ** 100000000 }}",
    "doubling-list": "{% set x = ['a'] %}" + "{% set x = [x, x] %}" * 40 + "{{ x|length }}",
    "tuple-hash": "{% set t = (1,) %}" + "{% set t = (t, t) %}" * 60 + "{{ {t: 1} }}",
    "percent-nested": "{% set x = [[1] * 1000] * 1000 %}{% set y = [x] * 8 %}{{ '%s' % y }}",
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_hostile_templates_are_a_diagnostic_at_their_line(tmp_path: Path, name: str) -> None:
    (tmp_path / "t.yaml.j2").write_text(HUB + "  url: http://x\n" + TEMPLATES[name] + "\n")
    report = validate(Inputs(["t.yaml.j2"], cwd=tmp_path, cache=False))
    assert [(d.code, d.line) for d in report.diagnostics if d.code == "ALB008"] == [("ALB008", 7)]
    assert not report.valid


def test_bounded_templates_still_render(tmp_path: Path) -> None:
    body = "{% for i in range(3) %}{{ loop.index }}{% endfor %}{{ [1, 2]|join('') }}{{ 'x'|center(3) }}"
    (tmp_path / "t.yaml.j2").write_text(HUB + "  url: http://h{{ '%03d' % 7 }}" + body + "\n")
    report = validate(Inputs(["t.yaml.j2"], cwd=tmp_path, cache=False))
    assert not any(d.code in ("ALB003", "ALB008") for d in report.diagnostics)


# ---------------------------------------------------------------- 3. hangs and unbounded reads


def test_a_fifo_in_a_walked_folder_is_an_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(HUB + "  url: http://x\n")
    os.mkfifo(tmp_path / "x.yaml")
    result = cli("validate", "-f", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert "x.yaml:1:1: error[ALB004]: manifest file is not a regular file (a FIFO)" in result.stdout


def test_a_fifo_named_with_f_is_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.yaml")
    result = cli("validate", "-f", "x.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "not a regular file" in result.stdout
    assert "0 files" not in result.stdout


def test_dictionary_fifo_and_license_from_dev_zero_are_errors(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "g.csv")
    (tmp_path / "r.yaml").write_text(RULE)
    lic = H + "kind: License\nmetadata: {name: jsl}\nspec: {fromFile: /dev/zero, scopes: [ocr:inference]}\n"
    (tmp_path / "l.yaml").write_text(lic)
    (tmp_path / "p.yaml").write_text(PROJECT)
    result = cli("validate", "-f", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "dictionary file is not a regular file (a FIFO)" in result.stdout
    assert "license file /dev/zero" in result.stdout and "not a regular file (a device)" in result.stdout


def test_values_and_stdin_are_capped_and_must_be_utf8(tmp_path: Path) -> None:
    (tmp_path / "t.yaml.j2").write_text(HUB + "  url: http://x\n")
    zero = cli("validate", "-f", "t.yaml.j2", "--values", "/dev/zero", cwd=tmp_path)
    assert zero.returncode == 2 and "not a regular file" in zero.stderr
    (tmp_path / "big.yaml").write_bytes(b"a: " + b"x" * (5 << 20) + b"\n")
    big = cli("validate", "-f", "t.yaml.j2", "--values", "big.yaml", cwd=tmp_path)
    assert big.returncode == 2 and "values cap of 4 MiB" in big.stderr
    (tmp_path / "latin.yaml").write_bytes(b"a: caf\xe9\n")
    latin = cli("validate", "-f", "t.yaml.j2", "--values", "latin.yaml", cwd=tmp_path)
    assert latin.returncode == 2 and "not UTF-8" in latin.stderr
    stdin = subprocess.run(
        [sys.executable, "-m", "alabctl", "validate", "-f", "-"],
        cwd=tmp_path,
        input=b"a: caf\xe9\n",
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert stdin.returncode == 2 and b"not UTF-8" in stdin.stderr


def test_a_license_variable_that_is_not_utf8_is_a_diagnostic(tmp_path: Path) -> None:
    lic = H + "kind: License\nmetadata: {name: jsl}\nspec: {fromEnv: JSL, scopes: [ocr:inference]}\n"
    (tmp_path / "l.yaml").write_text(lic)
    (tmp_path / "p.yaml").write_text(PROJECT)
    (tmp_path / "r.yaml").write_text(RULE)
    (tmp_path / "g.csv").write_text("female,woman\n")
    env = {**os.environ, "JSL": b"caf\xe9".decode("utf-8", "surrogateescape")}
    result = subprocess.run(
        [sys.executable, "-m", "alabctl", "validate", "-f", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "environment variable JSL for License 'jsl' is not UTF-8 text" in result.stdout


@pytest.mark.skipif(
    os.getuid() == 0, reason="root can list any folder, so an unreadable folder cannot be made"
)
def test_an_unreadable_subfolder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(HUB + "  url: http://x\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = cli("validate", "-f", ".", cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1 and "locked:1:1: error[ALB004]: cannot read folder" in result.stdout


# ---------------------------------------------------------------- 5. bad input is exit 1 or 2, never 3


def test_deep_yaml_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(HUB + "  url: " + "[" * 600 + "]" * 600 + "\n")
    # deep enough to overflow the C stack of libyaml's composer if it were ever reached
    (tmp_path / "flow.yaml").write_text(HUB + "  url: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (tmp_path / "block.yaml").write_text(HUB + "  url:\n    " + "- " * 100_000 + "x\n")
    for name in ("flow.yaml", "block.yaml"):
        result = cli("validate", "-f", name, cwd=tmp_path)
        assert result.returncode == 1, (name, result.returncode, result.stderr)
        assert f"{name}:" in result.stdout and "nests more than 64 levels deep" in result.stdout
    (tmp_path / "vals.yaml").write_text("x: " + "{a: " * 600 + "1" + "}" * 600 + "\n")
    (tmp_path / "t.yaml.j2").write_text(HUB + "  url: http://x\n")
    deep = cli("validate", "-f", "deep.yaml", cwd=tmp_path)
    assert deep.returncode == 1 and "nests more than 64 levels deep" in deep.stdout
    values = cli("validate", "-f", "t.yaml.j2", "--values", "vals.yaml", cwd=tmp_path)
    assert values.returncode == 2 and "nests more than 64 levels deep" in values.stderr


def test_symbolic_link_loops_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "m1.yaml").symlink_to("m2.yaml")
    (tmp_path / "m2.yaml").symlink_to("m1.yaml")
    (tmp_path / "g.csv").symlink_to("g.csv")
    (tmp_path / "r.yaml").write_text(RULE)
    walked = cli("validate", "-f", ".", cwd=tmp_path)
    assert walked.returncode == 1, walked.stderr
    assert (
        "m1.yaml:1:1: error[ALB004]: 'm1.yaml' is a symbolic link that leads back to itself" in walked.stdout
    )
    assert (
        "error[ALB206]: dictionary file 'g.csv' is a symbolic link that leads back to itself" in walked.stdout
    )
    named = cli("validate", "-f", "m1.yaml", cwd=tmp_path)
    assert named.returncode == 2 and "m1.yaml: a symbolic link that leads back to itself" in named.stderr


@pytest.mark.parametrize("regex", ["(?u)x", "(" * 400 + "x" + ")" * 400])
def test_hostile_regexes_are_diagnostics(tmp_path: Path, regex: str) -> None:
    rule = H + f"kind: Rule\nmetadata: {{name: r}}\nspec: {{entity: X, regex: '{regex}'}}\n"
    (tmp_path / "r.yaml").write_text(rule)
    result = cli("validate", "-f", "r.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "error[ALB330]" in result.stdout, result.stderr


def test_rules_import_of_deep_json_and_bad_crc_is_exit_1(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    deep = cli("rules", "import", "deep.json", "--out", "rules", cwd=tmp_path)
    assert deep.returncode == 1 and "nests too deeply" in deep.stderr, deep.stderr
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("r.json", json.dumps({"entity": "X", "regex": "a"}))
    data = bytearray(buf.getvalue())
    data[data.index(b'{"entity"') + 2] ^= 0x01  # flip a byte of the stored entry: its CRC no longer matches
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    crc = cli("rules", "import", "bad.zip", "--out", "rules", cwd=tmp_path)
    assert crc.returncode == 1 and "cannot be read" in crc.stderr, crc.stderr


# ---------------------------------------------------------------- 8. bounded quantifiers


@pytest.mark.parametrize("regex", ["(a{1,1000})+$", "(a{1,1000}){1,1000}$"])
def test_large_bounded_quantifiers_are_backtracking_risks(tmp_path: Path, regex: str) -> None:
    rule = H + f"kind: Rule\nmetadata: {{name: r}}\nspec: {{entity: X, regex: '{regex}'}}\n"
    (tmp_path / "r.yaml").write_text(rule)
    report = validate(Inputs(["r.yaml"], cwd=tmp_path, cache=False))
    assert "ALB332" in {d.code for d in report.diagnostics}


# ---------------------------------------------------------------- 4. caches never change a verdict


def _results_file() -> Path:
    return default_cache_dir() / f"results-{code_digest()}.json"


def _clean_entry(key: str, count: int) -> dict[str, object]:
    return {
        "schema": replay.ENTRY_SCHEMA,
        "key": key,
        "diagnostics": [],
        "count": count,
        "manifests": 0,
        "reads": [],
        "env": [],
        "expires": None,
    }


def test_a_forged_replay_entry_does_not_make_invalid_examples_pass() -> None:
    fp = replay.fingerprint(
        ["."], {"values": {}, "skip": False, "stdin": False}, None, EXAMPLES / "invalid", None
    )
    assert fp is not None
    body = json.dumps({"entries": {fp.key: _clean_entry(fp.key, fp.files)}}).encode()
    header = {"format": "alabctl-cache", "kind": "memo", "version": 2, "mac": "0" * 64}
    path = _results_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert not validate(Inputs(["."], cwd=EXAMPLES / "invalid")).valid
    # the old, unsigned layout is not trusted either
    path.write_text(json.dumps({"version": 1, "entries": {fp.key: _clean_entry(fp.key, fp.files)}}))
    assert not validate(Inputs(["."], cwd=EXAMPLES / "invalid")).valid


def test_a_signed_entry_of_the_wrong_shape_is_ignored() -> None:
    fp = replay.fingerprint(
        ["."], {"values": {}, "skip": False, "stdin": False}, None, EXAMPLES / "invalid", None
    )
    assert fp is not None
    entry = {"diagnostics": [], "count": fp.files, "manifests": 0, "reads": [], "env": []}  # no schema/key
    write_signed(_results_file(), "memo", 2, {"entries": {fp.key: entry}})
    assert not validate(Inputs(["."], cwd=EXAMPLES / "invalid")).valid


def test_parse_cache_rows_of_the_wrong_shape_do_not_drop_errors(tmp_path: Path) -> None:
    import hashlib

    from alabctl.spec.loader import PARSER_ID

    text = "a: [\n"
    (tmp_path / "bad.yaml").write_text(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    path = default_cache_dir() / f"parse-{PARSER_ID}.json"
    for row in ([[], []], [[], [["ALB001"]]], [[], "none"], "x"):
        if row == [[], []]:  # unsigned: a stranger wrote it
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"version": 1, "entries": {digest: row}}))
        else:  # signed but malformed: ignored and rewritten
            write_signed(path, path.stem, 2, {"entries": {digest: row}})
        report = validate(Inputs(["bad.yaml"], cwd=tmp_path, cache=True))
        assert "ALB001" in {d.code for d in report.diagnostics}, row


def test_a_readable_cache_key_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(HUB + "  url: http://x\n")
    validate(Inputs(["ok.yaml"], cwd=tmp_path))
    key = key_file()
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    from alabctl.spec.cachesign import secret

    assert secret(default_cache_dir()) is None


@pytest.fixture
def no_full_run(monkeypatch: pytest.MonkeyPatch):
    calls: list[int] = []
    real = alabctl.compile.verify.verify

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(alabctl.compile.verify, "verify", counting)
    return calls


def test_a_deleted_model_folder_is_noticed(tmp_path: Path, no_full_run: list[int]) -> None:
    model = H + "kind: Model\nmetadata: {name: m}\nspec: {task: ner, source: {path: model}}\n"
    (tmp_path / "m.yaml").write_text(model)
    meta = {"class": "com.johnsnowlabs.nlp.annotators.ner.dl.NerDLModel", "uid": "u", "paramMap": {}}
    (tmp_path / "model" / "metadata").mkdir(parents=True)
    (tmp_path / "model" / "metadata" / "part-00000").write_text(json.dumps(meta) + "\n")
    first = validate(Inputs(["m.yaml"], cwd=tmp_path))
    validate(Inputs(["m.yaml"], cwd=tmp_path))
    assert len(no_full_run) == 1  # replayed
    import shutil

    shutil.rmtree(tmp_path / "model")
    second = validate(Inputs(["m.yaml"], cwd=tmp_path))
    assert len(no_full_run) == 2 and second.diagnostics != first.diagnostics


def test_a_retargeted_dictionary_link_is_noticed(tmp_path: Path, no_full_run: list[int]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "r.yaml").write_text(RULE)
    (repo / "real.csv").write_text("female,woman\n")
    (tmp_path / "outside.csv").write_text("female,woman\n")  # the same content, outside the repository
    (repo / "g.csv").symlink_to(repo / "real.csv")
    assert validate(Inputs(["."], cwd=repo)).valid
    (repo / "g.csv").unlink()
    (repo / "g.csv").symlink_to(tmp_path / "outside.csv")
    second = validate(Inputs(["."], cwd=repo))
    assert len(no_full_run) == 2 and not second.valid


def test_a_different_home_is_noticed(tmp_path: Path, no_full_run: list[int]) -> None:
    lic = H + "kind: License\nmetadata: {name: jsl}\nspec: {fromFile: ~/lic.json, scopes: [ocr:inference]}\n"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "l.yaml").write_text(lic)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "lic.json").write_text(json.dumps({"SECRET": "x"}))
    (tmp_path / "b").mkdir()
    (repo / "p.yaml").write_text(PROJECT)
    (repo / "r.yaml").write_text(RULE)
    (repo / "g.csv").write_text("female,woman\n")
    first = validate(Inputs(["."], cwd=repo), env={"HOME": str(tmp_path / "a")})
    second = validate(Inputs(["."], cwd=repo), env={"HOME": str(tmp_path / "b")})
    assert len(no_full_run) == 2
    assert second.diagnostics != first.diagnostics


# ---------------------------------------------------------------- 7. compile --out


def _valid_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "h.yaml").write_text(HUB + "  url: http://x\n")
    return repo


def test_a_folder_with_a_foreign_manifest_json_is_not_replaced(tmp_path: Path) -> None:
    repo = _valid_repo(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"name": "my-web-app"}))
    (out / "index.html").write_text("<p>mine</p>")
    with pytest.raises(UserError, match="not an alabctl build folder"):
        compile(Inputs(["."], cwd=repo), out, env={})
    assert (out / "index.html").read_text() == "<p>mine</p>"


def test_leftovers_of_a_killed_compile_are_cleaned(tmp_path: Path) -> None:
    repo = _valid_repo(tmp_path)
    out = tmp_path / "build"
    compile(Inputs(["."], cwd=repo), out, env={})
    assert (out / MARKER).is_file()
    for name in (".build.new-abc", ".build.old-def"):
        (tmp_path / name).mkdir()
        (tmp_path / name / MARKER).write_text((out / MARKER).read_text())
    (tmp_path / ".build.new-empty").mkdir()
    (tmp_path / ".build.new-foreign").mkdir()
    (tmp_path / ".build.new-foreign" / "keep.txt").write_text("not ours")
    (repo / "h.yaml").write_text(HUB + "  url: http://y\n")
    compile(Inputs(["."], cwd=repo), out, env={})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.new-foreign", "build", "repo"]


def test_concurrent_compiles_to_one_out_queue(tmp_path: Path) -> None:
    repo = _valid_repo(tmp_path)
    out = tmp_path / "build"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "alabctl",
                "compile",
                "-f",
                ".",
                "--out",
                str(out),
                "--skip-license-check",
            ],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    try:
        codes = [p.wait(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()  # type: ignore[union-attr]
            p.stderr.close()  # type: ignore[union-attr]
    assert codes == [0, 0, 0, 0]
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "repo"]


def test_out_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    repo = _valid_repo(tmp_path)
    (tmp_path / "file").write_text("x")
    result = cli("compile", "-f", ".", "--out", str(tmp_path / "file" / "out"), cwd=repo)
    assert result.returncode == 1 and "cannot write the build folder" in result.stderr


@pytest.mark.skipif(os.getuid() == 0, reason="root writes into read-only folders")
def test_out_in_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    repo = _valid_repo(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        result = cli("compile", "-f", ".", "--out", str(ro / "out"), cwd=repo)
    finally:
        ro.chmod(0o755)
    assert result.returncode == 1 and "cannot write the build folder" in result.stderr


# ---------------------------------------------------------------- memory of validate on all of it


def test_validate_on_every_hostile_input_stays_under_512_mb(tmp_path: Path) -> None:
    for i, body in enumerate(TEMPLATES.values()):
        (tmp_path / f"t{i}.yaml.j2").write_text(HUB + "  url: http://x\n" + body + "\n")
    (tmp_path / "deep.yaml").write_text(HUB + "  url: " + "[" * 600 + "]" * 600 + "\n")
    os.mkfifo(tmp_path / "fifo.yaml")
    os.mkfifo(tmp_path / "g.csv")
    (tmp_path / "r.yaml").write_text(RULE)
    lic = H + "kind: License\nmetadata: {name: jsl}\nspec: {fromFile: /dev/zero, scopes: [ocr:inference]}\n"
    (tmp_path / "l.yaml").write_text(lic)
    (tmp_path / "p.yaml").write_text(PROJECT)
    for regex, name in (("(?u)x", "u"), ("(a{1,1000})+$", "b")):
        (tmp_path / f"re-{name}.yaml").write_text(
            H + f"kind: Rule\nmetadata: {{name: re-{name}}}\nspec: {{entity: X, regex: '{regex}'}}\n"
        )
    home, tmp = tmp_path.parent / f"{tmp_path.name}-home", tmp_path.parent / f"{tmp_path.name}-tmp"
    home.mkdir()
    tmp.mkdir()
    repo_before = sorted(tmp_path.rglob("*"))
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp)}
    # the peak of this one process (getrusage(RUSAGE_CHILDREN) would be the largest of every child
    # the test run has reaped so far, such as a Spark driver's JVM)
    logs = tmp_path.parent / f"{tmp_path.name}-logs"
    logs.mkdir()
    with (logs / "out").open("w+") as out, (logs / "err").open("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "alabctl", "validate", "-f", "."],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
        )
        timer = threading.Timer(TIMEOUT, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        err.seek(0)
        stderr = err.read()
    assert os.waitstatus_to_exitcode(status) == 1, stderr
    assert "internal error" not in stderr
    assert usage.ru_maxrss < 512 * 1024, f"peak RSS {usage.ru_maxrss} KB"
    # nothing written in the repository, the home folder or the temporary folder (only the cache folder)
    assert sorted(tmp_path.rglob("*")) == repo_before
    assert list(home.iterdir()) == [] and list(tmp.iterdir()) == []


def test_threads_render_templates_with_separate_budgets(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml.j2").write_text(HUB + "  url: http://x{% for i in range(5000) %}{% endfor %}\n")
    results: list[bool] = []

    def run() -> None:
        results.append(validate(Inputs(["ok.yaml.j2"], cwd=tmp_path, cache=False)).valid)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4


def test_check_memo_entries_of_the_wrong_shape_are_recomputed(tmp_path: Path) -> None:
    rule = H + "kind: Rule\nmetadata: {name: r}\nspec: {entity: X, regex: '(a'}\n"
    (tmp_path / "r.yaml").write_text(rule)
    assert not validate(Inputs(["r.yaml"], cwd=tmp_path)).valid
    memo = default_cache_dir() / f"checks-{code_digest()}.json"
    from alabctl.spec.cachesign import read_signed

    kept = read_signed(memo, "memo", 2)
    assert kept and kept["entries"]
    for bad in ({"findings": [{"code": 1}]}, {"findings": "x"}, {"findings": [], "whitespace": "x"}, []):
        write_signed(memo, "memo", 2, {"entries": dict.fromkeys(kept["entries"], bad)})
        _results_file().unlink(missing_ok=True)  # no replay: the checks run against the memo
        report = validate(Inputs(["r.yaml"], cwd=tmp_path))
        assert "ALB330" in {d.code for d in report.diagnostics}, bad
    # well-formed and clean, but unsigned: what a stranger could write
    forged = json.dumps({"entries": {key: {"findings": [], "whitespace": None} for key in kept["entries"]}})
    header = json.dumps({"format": "alabctl-cache", "kind": "memo", "version": 2, "mac": "0" * 64})
    memo.write_text(header + "\n" + forged)
    _results_file().unlink(missing_ok=True)
    assert "ALB330" in {d.code for d in validate(Inputs(["r.yaml"], cwd=tmp_path)).diagnostics}


def test_a_lock_file_key_that_leaves_the_store_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "h.yaml").write_text(HUB + "  url: http://x\n")
    lock = (
        "version: 1\nassets:\n  - name: x\n    type: model\n    language: en\n    repository: public/models\n"
        "    key: {key}\n    libVersion: '4.4.0'\n    sparkVersion: '3.0'\n    url: http://x/y\n"
    )
    for key in ("../../../etc/x", "a..b", "/abs"):
        (tmp_path / "alabctl.lock").write_text(lock.format(key=key))
        report = validate(Inputs(["."], cwd=tmp_path, cache=False))
        assert "ALB401" in {d.code for d in report.diagnostics}, key


def test_a_write_failure_mid_compile_is_a_clear_error_and_keeps_the_old_build(tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = cli("compile", "-f", ".", "--out", str(out), "--skip-license-check", cwd=EXAMPLES)
    assert first.returncode == 0, first.stderr
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "manifest.json").unlink()  # so the next compile has something to write

    def small_files() -> None:  # like a full disk: any file over 2 KB cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    result = subprocess.run(
        [sys.executable, "-m", "alabctl", "compile", "-f", ".", "--out", str(out), "--skip-license-check"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        preexec_fn=small_files,
    )
    assert result.returncode == 1, result.stderr
    assert "cannot write the build folder" in result.stderr and "internal error" not in result.stderr
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == {k: v for k, v in before.items() if k.name != "manifest.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_retargeted_manifest_link_is_noticed(tmp_path: Path, no_full_run: list[int]) -> None:
    repo = tmp_path / "repo"
    for folder, words in (("a", "female,woman\n"), ("b", "female,,woman\n")):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "r.yaml").write_text(RULE)  # the same manifest, beside different dictionaries
        (repo / folder / "g.csv").write_text(words)
    (repo / "rule.yaml").symlink_to(repo / "a" / "r.yaml")
    (repo / ".alabctlignore").write_text("a/\nb/\n")
    first = validate(Inputs(["."], cwd=repo))
    (repo / "rule.yaml").unlink()
    (repo / "rule.yaml").symlink_to(repo / "b" / "r.yaml")
    second = validate(Inputs(["."], cwd=repo))
    assert len(no_full_run) == 2 and first.valid and not second.valid


# ---------------------------------------------------------------- calls that outgrow their inputs

OUTGROWING_PROJECT = H + 'kind: Project\nmetadata: {name: p}\nspec: {content: text, description: "<EXPR>"}\n'
OUTGROWING = {
    # a width under its cap, times the lines, tabs or fields it applies to
    "indent": "{{ ('a\\n' * 1000000)|indent(9000)|length }}",
    "indent-string": "{{ ('a\\n' * 500000)|indent('x' * 9000)|length }}",
    "expandtabs": "{{ ('\\t' * 1000000).expandtabs(9000)|length }}",
    "format-fields": "{{ ('{0:9999}' * 800000).format(1)|length }}",
    "format-values": "{{ ('{0}' * 1000000).format('a' * 1000)|length }}",
    "percent-fields": "{{ ('%(a)9999s' * 700000) % {'a': 1} }}",
    "percent-nested-key": "{{ ('%(a(b)c)9999s' * 700000) % {'a(b)c': 1} }}",
    "format-filter": "{{ ('%9999s' * 700000)|format(*range(10000)) }}",
    # a count or padding argument that was not checked at all
    "slice": "{{ ([1]|slice(200000000)|list)|length }}",
    "batch": "{{ ([1]|batch(200000000, 'x')|list)|length }}",
    "tojson-indent": "{{ [[[[[[[[1]]]]]]]]|tojson(indent=100000000)|length }}",
    # separators, replacements and pieces
    "join-generator": "{{ ('x' * 1000000).join(range(10000)|map('string'))|length }}",
    "join-string": "{{ ('a' * 1000000)|join('x' * 1000000)|length }}",
    "translate": "{{ ('a' * 1000000).translate({97: 'b' * 10000})|length }}",
    "split": "{{ ('ab ' * 1000000).split()|length }}",
    "urlize": "{{ ('a ' * 1000000)|urlize|length }}",
    "wordwrap": "{{ ('a' * 1000000)|wordwrap(1)|length }}",
    "sum-of-lists": "{{ ([[1]] * 400000)|sum(start=[])|length }}",
    "bytes-center": "{{ 'a'.encode().center(10**9)|length }}",
    # text gathered in a block or macro, which the output cap only sees when it is printed
    "set-block": "{% set x %}{% for i in range(10000) %}{{ 'a' * 1000000 }}{% endfor %}{% endset %}{{ x|length }}",
    "macro-text": "{% macro m() %}{% for i in range(10000) %}"
    + "A" * 100_000
    + "{% endfor %}{% endmacro %}{{ m()|length }}",
    # numbers turned into text
    "integer-product": "{% set x = 2**2000 %}{% set x = x*x*x %}{% set x = x*x*x %}{{ x > 1 }}",
    "integer-digits": "{{ [2**2000] * 400000 }}",
    "integer-division": "{% set x = ('ffffffff' * 1000000)|int(base=16) %}{{ x % (x // 3 + 1) > 0 }}",
}
_PEAK = "alabctl-test-peak-kb"
# the peak is read from /proc (VmHWM, this program's own) at exit: getrusage's ru_maxrss would
# include the memory of the test process it was forked from
_LIMITED_VALIDATE = (
    "import atexit, os, resource, runpy, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    "def peak():\n"
    "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
    f"    sys.stderr.write('\\n{_PEAK} ' + hwm[0] + '\\n')\n"
    "    sys.stderr.flush()\n"
    "atexit.register(peak)\n"
    "fast_exit = os._exit\n"
    "os._exit = lambda code: (peak(), fast_exit(code))\n"  # the CLI's one-shot exit skips atexit
    "sys.argv = ['alabctl', 'validate', '-f', '.']\n"
    "runpy.run_module('alabctl', run_name='__main__', alter_sys=True)\n"
)


def _limited_validate(repo: Path, seconds: float) -> tuple[int, str, float, int]:
    """``alabctl validate -f .`` in ``repo`` with 1 GiB of address space, killed after ``seconds``:
    exit code, output, CPU seconds and peak RSS in KB (of that program alone)."""
    home = repo.parent / f"{repo.name}-home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("ALABCTL_CACHE_DIR", None)
    with (home / "out").open("w+") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _LIMITED_VALIDATE], cwd=repo, env=env, stdout=out, stderr=out
        )
        timer = threading.Timer(seconds, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        out.seek(0)
        text = out.read()
    peaks = [int(line.split()[1]) for line in text.splitlines() if line.startswith(_PEAK)]
    assert peaks, text  # killed before it could exit
    return os.waitstatus_to_exitcode(status), text, usage.ru_utime + usage.ru_stime, peaks[0]


@pytest.mark.parametrize("name", sorted(OUTGROWING))
def test_a_call_that_would_outgrow_its_inputs_is_refused_before_it_runs(tmp_path: Path, name: str) -> None:
    (tmp_path / "p.yaml.j2").write_text(OUTGROWING_PROJECT.replace("<EXPR>", OUTGROWING[name]))
    code, output, cpu, peak = _limited_validate(tmp_path, 20)
    assert code == 1, output
    assert "error[ALB008]: template over its limits" in output and "internal error" not in output, output
    # refused from an estimate (not by an allocation the address-space limit failed): nothing
    # large is built, and it ends far from the 5 s wall-time cap
    assert "MemoryError" not in output, output
    assert peak < 256 * 1024, f"peak RSS {peak} KB"
    assert cpu < 3, f"{cpu:.1f} s of CPU"


def test_a_slow_call_in_a_loop_stops_at_the_wall_time_cap(tmp_path: Path) -> None:
    # each 'length' measures a 490,000-item value; the deadline is checked at every call
    loop = "{% set x = [[1] * 1000] * 490 %}{% for i in range(10000) %}{{ x|length }}{% endfor %}"
    (tmp_path / "p.yaml.j2").write_text(OUTGROWING_PROJECT.replace("<EXPR>", loop))
    code, output, cpu, peak = _limited_validate(tmp_path, 30)
    assert code == 1 and "ran longer than 5 seconds" in output, output
    assert cpu < 9 and peak < 256 * 1024, f"{cpu:.1f} s of CPU, peak RSS {peak} KB"
