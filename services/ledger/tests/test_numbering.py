"""Registration numbers: unique and gap-free under concurrent registration, restarting each year."""

from __future__ import annotations

import threading

from duban.ledger.v1 import ledger_pb2
from services.ledger.tests.conftest import LedgerUnderTest


def test_twenty_concurrent_registrations_get_consecutive_numbers(ledger: LedgerUnderTest) -> None:
    barrier = threading.Barrier(20)
    numbers: list[str] = []
    errors: list[Exception] = []

    def register(i: int) -> None:
        barrier.wait()
        try:
            item = ledger.register(title=f"并发立项{i}", registered_on="2025-03-03")
            numbers.append(item.item_no)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(numbers) == [f"2025-{n:04d}" for n in range(1, 21)]


def test_numbers_restart_each_year_and_failed_registrations_leave_no_gap(ledger: LedgerUnderTest) -> None:
    first = ledger.register(registered_on="2024-12-31")
    try:
        ledger.register(registered_on="2024-12-31", lead_unit_id="nowhere")
    except Exception:  # noqa: BLE001 - expected to fail validation
        pass
    second = ledger.register(registered_on="2024-12-31")
    next_year = ledger.register(registered_on="2025-01-02")
    assert first.item_no == "2024-0001" and second.item_no == "2024-0002"
    assert next_year.item_no.startswith("2025-")


def test_custom_pattern_is_applied() -> None:
    from services.ledger.domain import check_number_pattern, format_item_no

    pattern = check_number_pattern("平督〔{year}〕{seq:03d}号")
    assert format_item_no(pattern, 2026, 7) == "平督〔2026〕007号"
    for bad in ("{seq}", "{year}", "{year}-{seq}-{other}", "{year"):
        try:
            check_number_pattern(bad)
        except ValueError:
            continue
        raise AssertionError(f"pattern {bad!r} accepted")


def test_list_unaffected_by_numbering(ledger: LedgerUnderTest) -> None:
    page = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(text="并发立项")), timeout=5)
    assert len(page.items) == 20
