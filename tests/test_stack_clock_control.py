"""`Stack.clock_controlled` (scripts/stack.py): the demo loader moves inspection's clock back while it
records the past, and `make run` must leave the service on the real clock afterwards - a controlled clock
stands still at the last time set. The processes are stand-ins: what is checked is with which clock each
(re)start happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.stack import CLOCK_CONTROL, ServiceProcess, Stack


def stack_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started_controlled: bool,
               configured: str | None) -> tuple[Stack, list[str | None]]:
    """A stack whose inspection process is a stand-in; the list gets its clock setting at each start."""
    monkeypatch.delenv(CLOCK_CONTROL, raising=False)
    stack = Stack(state_dir=tmp_path, extra_env={CLOCK_CONTROL: configured} if configured else {})
    env = {CLOCK_CONTROL: "true"} if started_controlled else {}
    stack.processes["inspection"] = ServiceProcess("inspection", ["true"], env, tmp_path / "inspection.log")
    starts: list[str | None] = []
    monkeypatch.setattr(stack, "start_service", lambda name: starts.append(stack.processes[name].env.get(CLOCK_CONTROL)))
    return stack, starts


def test_make_run_restarts_inspection_with_control_and_back_on_the_real_clock(tmp_path, monkeypatch) -> None:
    stack, starts = stack_with(tmp_path, monkeypatch, started_controlled=False, configured=None)
    with stack.clock_controlled("inspection"):
        assert starts == ["true"]
    assert starts == ["true", None]
    assert CLOCK_CONTROL not in stack.processes["inspection"].env


def test_a_first_make_run_started_controlled_needs_one_restart(tmp_path, monkeypatch) -> None:
    stack, starts = stack_with(tmp_path, monkeypatch, started_controlled=True, configured=None)
    with stack.clock_controlled("inspection"):
        assert starts == []
    assert starts == [None]


def test_a_stack_controlled_anyway_is_not_restarted(tmp_path, monkeypatch) -> None:
    """The stack tests run every service with DUBAN_CLOCK_CONTROL=true: nothing to restart."""
    stack, starts = stack_with(tmp_path, monkeypatch, started_controlled=True, configured="true")
    with stack.clock_controlled("inspection"):
        pass
    assert starts == []


def test_a_failed_load_still_leaves_the_real_clock(tmp_path, monkeypatch) -> None:
    stack, starts = stack_with(tmp_path, monkeypatch, started_controlled=False, configured=None)
    with pytest.raises(RuntimeError), stack.clock_controlled("inspection"):
        raise RuntimeError("demo load failed")
    assert starts == ["true", None]
