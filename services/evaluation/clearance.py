"""The year's 清零 result as the notification service published it (clearance.published) and its filing
with the assessment office (clearance.filed, the receipt): joined to the scores in the workbook and on
the assessment office's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from libs.common.db import UnitOfWork
from services.evaluation.orm import Clearance
from services.evaluation.scoring import NOTIFICATION, Archived


def on_published(tx: UnitOfWork, a: Archived) -> None:
    d = a.data
    year = int(d.get("year") or 0)
    if not year:
        return
    row = tx.session.get(Clearance, year) or Clearance(year=year)
    row.bulletin_id, row.document_no = d.get("bulletin_id", ""), d.get("document_no", "")
    row.published_at = dt.datetime.fromisoformat(d["published_at"]) if d.get("published_at") else a.time
    row.cleared = bool(d.get("cleared"))
    row.units = orjson.dumps([{k: u.get(k, "") for k in ("unit_id", "unit_name", "in_scope", "closed", "still_open")}
                              for u in d.get("units", [])]).decode()
    row.not_closed = orjson.dumps([{k: i.get(k, "") for k in ("item_id", "item_no", "unit_id")}
                                   for i in d.get("not_closed_items", [])]).decode()
    tx.session.merge(row)


def on_filed(tx: UnitOfWork, a: Archived) -> None:
    d: dict[str, Any] = a.data
    row = tx.session.get(Clearance, int(d.get("year") or 0))
    if row is not None:
        receipt = d.get("receipt", {})
        row.receipt_no, row.filed_on = receipt.get("receipt_no", ""), receipt.get("filed_on", "")


BY_TYPE = {(NOTIFICATION, "clearance.published"): on_published, (NOTIFICATION, "clearance.filed"): on_filed}
