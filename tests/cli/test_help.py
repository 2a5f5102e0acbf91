"""Every command and option says what it does, with an example (``--help``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from alabctl.cli.main import build_parser, main


def _commands(
    parser: argparse.ArgumentParser, path: str = "alabctl"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{path} {name}", sub
                yield from _commands(sub, f"{path} {name}")


def _leaf(parser: argparse.ArgumentParser) -> bool:
    return not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def test_every_command_has_a_description_and_an_example() -> None:
    missing = []
    for path, parser in _commands(build_parser()):
        if not parser.description:
            missing.append(f"{path}: description")
        if _leaf(parser) and (
            not parser.epilog or "example" not in parser.epilog or path not in parser.epilog
        ):
            missing.append(f"{path}: example")
    assert missing == []


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{path}: {action.dest}"
        for path, parser in _commands(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def _groups() -> list[tuple[str, list[str]]]:
    return [
        (
            path,
            [
                name
                for a in parser._actions
                if isinstance(a, argparse._SubParsersAction)
                for name in a.choices
            ],
        )
        for path, parser in _commands(build_parser())
        if not _leaf(parser)
    ]


def test_the_command_groups_are_hub_jars_models_and_rules() -> None:
    assert sorted(path for path, _ in _groups()) == [
        "alabctl hub",
        "alabctl jars",
        "alabctl models",
        "alabctl rules",
    ]


@pytest.mark.parametrize(("path", "actions"), _groups(), ids=[path for path, _ in _groups()])
def test_a_command_group_with_no_action_prints_its_own_help_and_exits_2(
    capsys: pytest.CaptureFixture[str], path: str, actions: list[str]
) -> None:
    code = main(path.split()[1:])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"usage: {path} [-h] ACTION ...")
    assert all(f"\n    {action}" in err for action in actions), err
    assert "validate" not in err, "not the top-level help"


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_prune_says_it_deletes_label_studio_tasks_too(command: str) -> None:
    [parser] = [p for path, p in _commands(build_parser()) if path == f"alabctl {command}"]
    [prune] = [a for a in parser._actions if "--prune" in a.option_strings]
    assert "delete tasks alabctl imported into Label Studio" in (prune.help or "")
