"""CI fails on a lint or type finding and on a run that collected no test: `.ci/run` is `make test`
under `set -euo pipefail`, `make test` runs `make lint` first and pytest's own exit code last."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def recipe(target: str) -> tuple[list[str], list[str]]:
    """A Makefile target's prerequisites and recipe lines."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{target}:([^#\n]*).*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"no {target} target"
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_ci_runs_make_test_and_stops_on_any_failure() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in run and re.search(r"^make test$", run, re.M)


def test_make_test_runs_the_gate_first_and_keeps_pytests_exit_code() -> None:
    prerequisites, lines = recipe("test")
    assert prerequisites[0] == "lint"
    assert lines == ["$(PY) -m pytest $(ARGS)"]  # no "-" prefix, no "|| true": exit code 5 fails too
    _, gate = recipe("lint")
    assert any(line.startswith("$(VENV)/bin/ruff check") for line in gate)
    assert "$(VENV)/bin/mypy" in gate


def test_pytest_exits_5_when_nothing_is_collected() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-k", "no_such_test", "tests/test_ci_gate.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 5, done.stdout
