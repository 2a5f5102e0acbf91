"""Start-up stays light: ``--help`` and ``--version`` load no command module, ``validate`` no Spark."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from alabctl.cli.main import COMMANDS, build_parser

HEAVY = ("alabctl.api", "pydantic", "lxml", "requests", "jinja2", "ruamel", "pyspark", "sparknlp")


def _modules_after(*argv: str) -> set[str]:
    probe = (
        "import sys\n"
        "from alabctl.cli.main import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n'.join(sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(proc.stderr.splitlines())


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ()])
def test_top_level_help_imports_no_command_module(argv: tuple[str, ...]) -> None:
    loaded = _modules_after(*argv)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY or m.startswith("alabctl.api"))
    assert heavy == []
    assert not any(m in loaded for m, _ in COMMANDS.values())


def test_validate_imports_no_spark(tmp_path) -> None:
    (tmp_path / "hub.yaml").write_text("apiVersion: alabctl/v1\nkind: Hub\nmetadata: {name: hub}\n")
    loaded = _modules_after("validate", "-f", str(tmp_path / "hub.yaml"))
    assert "alabctl.cli.validate" in loaded
    assert not any(m.split(".")[0] in ("pyspark", "sparknlp", "py4j") for m in loaded)


def test_every_command_in_the_table_is_registered_by_its_module() -> None:
    for name, (module, helptext) in COMMANDS.items():
        assert helptext, name
        parser = build_parser([name])
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        assert sub.choices[name].description, f"{module} does not register '{name}'"
        importlib.import_module(module)


def test_a_command_stub_lists_in_top_level_help(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser(["--help"]).parse_args(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_the_lazy_names_of_api_are_exactly_apivalues() -> None:
    import alabctl.api as api
    from alabctl import apivalues

    defined = {
        name
        for name, value in vars(apivalues).items()
        if isinstance(value, type) and value.__module__ == apivalues.__name__ and not name.startswith("_")
    }
    assert defined == api.VALUES
    for name in api.VALUES:
        assert getattr(api, name) is getattr(apivalues, name)
    with pytest.raises(AttributeError):
        _ = api.NoSuchThing  # type: ignore[attr-defined]


def test_hub_pull_loads_no_manifest_models(tmp_path) -> None:
    """A pull without ``-f`` never needs pydantic: its start-up is paid by every process."""
    import os

    env = {**os.environ, "ALABCTL_HOME": str(tmp_path / "home")}
    probe = (
        "import sys\n"
        "from alabctl.cli.main import main\n"
        "try:\n"
        "    main(['hub', 'pull', 'ner_dl', '--hub', 'http://127.0.0.1:9'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n'.join(sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    loaded = set(proc.stderr.splitlines())
    assert "alabctl.assets.pull" in loaded or "alabctl.assets.hub" in loaded, proc.stderr[-2000:]
    assert not any(m.split(".")[0] == "pydantic" for m in loaded)
