"""The marker scheme holds (conftest.py checks it at collection; here the check itself is checked)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from conftest import marker_problems

ROOT = Path(__file__).resolve().parent.parent


def item(path: str, markers: tuple[str, ...] = (), fixtures: tuple[str, ...] = (),
         params: dict[str, object] | None = None) -> Any:
    fake = SimpleNamespace(
        nodeid=f"{path}::test_x", path=ROOT / path, config=SimpleNamespace(rootpath=ROOT), fixturenames=list(fixtures),
        iter_markers=lambda: [SimpleNamespace(name=m) for m in markers],
    )
    if params is not None:
        fake.callspec = SimpleNamespace(params=params)
    return fake  # as much of a pytest.Item as the check reads


def test_stack_tests_need_the_stack_and_postgres_markers() -> None:
    assert marker_problems([item("tests/stack/test_a.py")]) == ["tests/stack/test_a.py::test_x: not marked postgres, stack"]
    assert marker_problems([item("tests/browser/test_b.py", ("stack",))]) == [
        "tests/browser/test_b.py::test_x: not marked postgres"]
    assert marker_problems([item("tests/other/test_c.py", fixtures=("stack",))])  # the fixture, anywhere
    assert marker_problems([item("tests/stack/test_a.py", ("stack", "postgres"))]) == []


def test_a_postgres_parameter_needs_the_postgres_marker() -> None:
    assert marker_problems([item("services/x/tests/test_d.py", params={"ledger": "postgres"})])
    assert marker_problems([item("services/x/tests/test_d.py", ("postgres",), params={"ledger": "postgres"})]) == []
    assert marker_problems([item("services/x/tests/test_d.py", params={"ledger": "sqlite"})]) == []
