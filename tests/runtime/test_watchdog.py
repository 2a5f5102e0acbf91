"""A slow rule cannot block a server for good nor make it unkillable: the budget and the hard stop.

The rule ``(?:\\d\\d?)+x`` backtracks exponentially on a run of digits not followed by ``x``; its
ALB332 finding is a warning, so the repository still compiles, as a pattern the check misses would.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alabctl.runtime.watchdog import Budget, Overrun
from tests.conftest import EXAMPLES
from tests.runtime.conftest import Response, Server, compile_examples, http

SLOW_RULE = r"(?:\d\d?)+x"
SLOW_TEXT = "1234567890123456789012345678901234567890 é x"
"""Far longer than any budget at each of the 40 digits; the non-ASCII "é" keeps the prefilter out."""


@pytest.fixture(scope="module")
def slow_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples with the height rule replaced by a slow one, compiled."""
    root = tmp_path_factory.mktemp("slow")
    repo = root / "repo"
    shutil.copytree(EXAMPLES, repo)
    rule = repo / "rules" / "height.yaml"
    text = rule.read_text()
    text = re.sub(r"regex: .*", lambda _: f"regex: '{SLOW_RULE}'", text).replace(
        "ruleScope: sentence", "ruleScope: document"
    )
    rule.write_text(text)
    return compile_examples(root / "build", repo)


def _task(text: str) -> dict[str, Any]:
    return {"data": {"text": text}}


def _in_background(server: Server, payload: Any) -> tuple[threading.Thread, list[Response | Exception]]:
    """POST /predict from a thread; its reply (or the error) lands in the list."""
    out: list[Response | Exception] = []

    def send() -> None:
        try:
            out.append(http(server.url + "/predict", payload, timeout=30))
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, out


def _wait_until_busy(server: Server) -> None:
    """Until /health stops answering within 0.3 s: the slow match holds the loop."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            http(server.url + "/health", timeout=0.3)
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError("the slow request never held the server")


def test_a_slow_rule_is_cut_short_by_the_budget_and_the_server_keeps_serving(
    start_server: Callable[..., Server], slow_build: Path
) -> None:
    server = start_server("quickstart", "--build", str(slow_build))
    began = time.monotonic()
    thread, reply = _in_background(server, {"tasks": [_task("a woman"), _task(SLOW_TEXT)]})
    _wait_until_busy(server)
    health = http(server.url + "/health", timeout=15)  # answered once the budget (5 s) ends the match
    assert health.status == 200
    thread.join(20)
    assert time.monotonic() - began < 12
    [answer] = reply
    assert isinstance(answer, Response) and answer.status == 503, answer
    assert "longer than 5 s" in answer.body["error"] and "ALB332" in answer.body["hint"]
    fine = server.post("/predict", {"tasks": [_task("a woman measured 12x")]})
    assert fine.status == 200
    labels = [r["value"]["labels"][0] for r in fine.body["results"][0]["result"]]
    assert labels == ["Gender", "Height"]
    assert server.process.poll() is None


def test_sigterm_stops_the_server_promptly_while_a_slow_match_runs(
    start_server: Callable[..., Server], slow_build: Path
) -> None:
    server = start_server("quickstart", "--build", str(slow_build))
    thread, reply = _in_background(server, {"tasks": [_task(SLOW_TEXT)]})
    _wait_until_busy(server)
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=10)
    took = time.monotonic() - began
    assert took < 3, f"SIGTERM took {took:.1f} s (the budget alone would take 5 s)"
    assert code == 0
    thread.join(5)
    [answer] = reply
    assert isinstance(answer, Response) and answer.status == 503, answer
    assert "stopping" in answer.body["error"]
    assert server.process.stderr is not None
    assert b"stopped (SIGTERM)" in server.process.stderr.read()


HARD_STOP = """
import signal, sys, time
import uvicorn
from alabctl.runtime.watchdog import Budget, StoppableServer

server = StoppableServer(uvicorn.Config(None), Budget(), hard_stop=1.0)
signal.signal(signal.SIGTERM, server.handle_exit)
print("ready", flush=True)
while True:  # a loop that never returns to the event loop: the handler runs, nothing stops it
    pass
"""


def test_a_server_stuck_outside_the_loop_exits_hard_after_the_grace_period(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HARD_STOP], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        took = time.monotonic() - began
        assert code == 1 and 0.9 < took < 5, (code, took)
        assert process.stderr is not None
        assert b"Timeout" in process.stderr.read()  # faulthandler's dump of where it was stuck
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


@pytest.fixture
def budget() -> Iterator[Budget]:
    budget = Budget()
    budget.install()
    try:
        yield budget
    finally:
        budget.uninstall()


def test_the_budget_aborts_a_catastrophic_match_on_the_main_thread(budget: Budget) -> None:
    began = time.monotonic()
    with pytest.raises(Overrun, match=r"longer than 0\.3 s"), budget.limit(0.3):
        re.search(SLOW_RULE, SLOW_TEXT)
    assert time.monotonic() - began < 2
    with budget.limit(0.3):  # a window that closed leaves nothing armed behind
        pass
    time.sleep(0.5)


def test_the_budget_is_inert_off_the_main_thread_and_while_stopping(budget: Budget) -> None:
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(budget.active))
    thread.start()
    thread.join()
    assert seen == [False] and budget.active
    budget.interrupt("stopping")  # outside a window: only marks the budget
    with pytest.raises(Overrun, match="stopping"), budget.limit(1):
        pass


def test_a_big_request_is_predicted_in_slices_with_the_same_answers(
    start_server: Callable[..., Server], build: Path
) -> None:
    server = start_server("quickstart", "--build", str(build))
    note = "Patient is a 5'11 male, she said; height 6'0 and a woman. "
    texts = [note * (1 + i % 7) for i in range(400)] + [note * 1000]  # about 150,000 characters
    assert sum(map(len, texts)) > 5 * 20_000
    big = server.post("/predict", {"tasks": [_task(t) for t in texts]})
    assert big.status == 200 and len(big.body["results"]) == len(texts)
    for index in (0, 1, 6, 399, 400):
        alone = server.post("/predict", {"tasks": [_task(texts[index])]})
        assert big.body["results"][index] == alone.body["results"][0]
    assert len(big.body["results"][400]["result"]) == 5000  # male, she, woman, 5'11, 6'0
