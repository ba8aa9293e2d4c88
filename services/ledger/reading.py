"""Reading the ledger: one item, its history, the keyset-paged list."""

from __future__ import annotations

from sqlalchemy import select

from services.ledger import repository
from services.ledger.context import Ledger
from services.ledger.orm import Item, ItemChange


def get_item(ledger: Ledger, id_or_no: str) -> Item:
    with ledger.uow.read() as tx:
        return repository.get_item(tx.session, id_or_no)


def item_history(ledger: Ledger, id_or_no: str) -> list[ItemChange]:
    with ledger.uow.read() as tx:
        item = repository.get_item(tx.session, id_or_no)
        return list(tx.session.scalars(select(ItemChange).where(ItemChange.item_id == item.id).order_by(ItemChange.id)))


def list_items(
    ledger: Ledger, query: repository.ItemQuery, page_size: int, token: str, include_total: bool
) -> tuple[list[Item], str, int]:
    with ledger.uow.read() as tx:
        return repository.list_items(tx.session, query, page_size, token, include_total)


def list_item_page(
    ledger: Ledger, query: repository.ItemQuery, page_size: int, token: str, include_total: bool
) -> tuple[repository.ItemPage, dict[str, dict[str, int]]]:
    """A page of the ledger as rows, with what raises each item's light today, in one read."""
    with ledger.uow.read() as tx:
        page = repository.list_item_rows(tx.session, query, page_size, token, include_total)
        raised = repository.raised_counts(tx.session, [r.id for r in page.rows], ledger.clock.today())
    return page, raised


def raised_counts(ledger: Ledger, item_ids: list[str]) -> dict[str, dict[str, int]]:
    """What raises each item's light today (tracking's and inspection's obligations past their day), in
    one query."""
    with ledger.uow.read() as tx:
        return repository.raised_counts(tx.session, item_ids, ledger.clock.today())
