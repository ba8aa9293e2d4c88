"""The whole stack as processes: an import through the gateway, the ledger killed (SIGKILL) in the middle
of writing it, restarted, and the job finished by the restarted ledger - every row once, numbers gap-free."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from scripts.stack import Stack
from services.ledger.tests.test_import_jobs import sheet
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

# A short lease, so the restarted ledger takes the killed one's job over in seconds; small chunks, so
# the kill lands between commits of a job that is still writing.
IMPORT_ENV = {"DUBAN_IMPORT_LEASE_SECONDS": "2", "DUBAN_IMPORT_CHUNK_ROWS": "10"}


@pytest.fixture
def ledger_with_short_leases(stack: Stack) -> Iterator[Stack]:
    ledger = stack.processes["ledger"]
    saved = dict(ledger.env)
    ledger.stop()
    ledger.env.update(IMPORT_ENV)
    stack.start_service("ledger")
    try:
        yield stack
    finally:  # the session's other tests get the ledger as it was
        ledger.stop()
        ledger.env.clear()
        ledger.env.update(saved)
        stack.start_service("ledger")


def job_status(stack: Stack, url: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{stack.url}{url}", headers=headers, timeout=10)


@pytest.mark.slow
def test_an_import_survives_a_killed_ledger(ledger_with_short_leases: Stack) -> None:
    stack = ledger_with_short_leases
    office = token(stack, "office")
    tag = uuid.uuid4().hex[:6]
    rows = 300
    data = sheet([f"全栈导入{tag}-{i:03d}" for i in range(rows)])
    started = time.monotonic()
    accepted = requests.post(f"{stack.url}/api/v1/ledger/import", headers={**office, "Idempotency-Key": str(uuid.uuid4())},
                             files={"file": ("旧台账.xlsx", data)}, timeout=10)
    assert accepted.status_code == 202, accepted.text
    assert time.monotonic() - started < 5
    url = accepted.headers["Location"]
    deadline = time.monotonic() + 120
    while True:
        job = job_status(stack, url, office).json()
        if job["phase"] == "writing" and job["done"] >= 60:
            break
        assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.05)
    stack.processes["ledger"].kill()  # SIGKILL mid-write: no hand-back, the chunk in flight rolls back
    down = job_status(stack, url, office)
    assert down.status_code == 503  # never a made-up state while the ledger is away
    stack.start_service("ledger")
    while True:
        job = job_status(stack, url, office).json()
        if job["state"] in ("finished", "failed"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert (job["state"], job["outcome"], job["created"], job["duplicates"], job["attempts"]) == (
        "finished", "imported", rows, 0, 2), job
    listed = requests.get(f"{stack.url}/api/v1/items", params={"q": f"全栈导入{tag}", "include_total": "true",
                                                               "page_size": "500"}, headers=office, timeout=10).json()
    assert listed["total_size"] == rows  # every row once: none lost with the killed chunk, none doubled
    numbers = sorted(int(n.split("-")[1]) for n in job["item_nos"])
    assert len(numbers) == rows and numbers == list(range(numbers[0], numbers[0] + rows))
