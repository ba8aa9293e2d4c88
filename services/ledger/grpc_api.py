"""LedgerService over gRPC: translate messages to use-case calls and back. No rules live here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import grpc

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common.actor import Actor
from libs.common.errors import InvalidInput
from libs.common.idempotency_grpc import write_methods
from services.ledger import (
    directory,
    domain,
    importing,
    jobs,
    reading,
    registering,
    repository,
    updating,
    xlsx_export,
)
from services.ledger.config import Settings
from services.ledger.context import Ledger
from services.ledger.convert import (
    add_item_row,
    change_to_proto,
    contacts_of,
    import_job_to_proto,
    item_to_proto,
    person_to_proto,
    unit_to_proto,
)
from services.ledger.orm import ImportJob, Item

SERVICE_NAME = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name
# The writes that take an idempotency key (gRPC metadata `idempotency-key`, see libs/common/idempotency.py).
WRITE_METHODS = write_methods(SERVICE_NAME, (
    "RegisterItem", "UpdateItem", "UpsertUnit", "UpsertPerson", "StartImport", "RecomputeProvisionalDueDates",
))

# Final keeps the names literal, so ItemPatch.HasField type-checks them.
PATCH_SCALARS: Final = (
    "title", "content", "source", "category", "key_tracking", "responsible_leader_id",
    "responsible_person_id", "supervisor_id", "due_date", "supervision_status", "remarks", "lead_unit_id",
    "assessment_year",
)


def query_from_filter(f: ledger_pb2.ItemFilter, ledger: Ledger) -> repository.ItemQuery:
    errors = {
        name: f"未知的取值 {value!r}，应为：{', '.join(allowed)}"
        for name, value, allowed in (("source", f.source, domain.SOURCES), ("category", f.category, domain.CATEGORIES),
                                     ("status", f.status, domain.STATUSES))
        if value and value not in allowed
    }
    if errors:
        raise InvalidInput("invalid filter: " + ", ".join(sorted(errors)), errors)
    light = None
    if f.light:
        if f.light not in ("green", "yellow", "red"):
            raise InvalidInput(f"unknown light {f.light!r}", {"light": "灯色应为 green、yellow 或 red"})
        light = (f.light, *ledger.light_edge())
    unit_ids = tuple(f.unit_ids) + ((f.unit_id,) if f.unit_id else ())
    return repository.ItemQuery(
        unit_ids=unit_ids,
        source=f.source,
        category=f.category,
        key_tracking=f.key_tracking if f.HasField("key_tracking") else None,
        status=f.status,
        due_from=domain.parse_date(f.due_from, "due_from") if f.due_from else None,
        due_to=domain.parse_date(f.due_to, "due_to") if f.due_to else None,
        text=f.text.strip(),
        responsible_leader_id=f.responsible_leader_id,
        light=light,
    )


class LedgerServicer(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(self, ledger: Ledger, settings: Settings, import_worker: jobs.ImportWorker) -> None:
        self.ledger = ledger
        self.settings = settings
        self.import_worker = import_worker

    def _item(self, item: Item) -> ledger_pb2.Item:
        return self._items([item])[0]

    def _items(self, items: list[Item]) -> list[ledger_pb2.Item]:
        raised = reading.raised_counts(self.ledger, [i.id for i in items])
        return [item_to_proto(i, self.ledger.light(i, raised.get(i.id))) for i in items]

    def RegisterItem(  # noqa: N802
        self, request: ledger_pb2.RegisterItemRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.RegisterItemResponse:
        reg = domain.Registration(
            title=request.title,
            content=request.content,
            source=request.source,
            category=request.category,
            key_tracking=request.key_tracking,
            lead_unit_id=request.lead_unit_id,
            lead_duty=request.lead_duty,
            co_units=tuple((c.unit_id, c.duty) for c in request.co_units),
            responsible_leader_id=request.responsible_leader_id,
            responsible_person_id=request.responsible_person_id,
            supervisor_id=request.supervisor_id,
            registered_on=request.registered_on,
            due_date=request.due_date,
            due_date_reason=request.due_date_reason,
            remarks=request.remarks,
            origin_finding_id=request.origin_finding_id[:36],
            origin_bulletin_id=request.origin_bulletin_id[:36],
            assessment_year=request.assessment_year,
        )
        item, replayed = registering.register_item(
            self.ledger, reg, Actor.from_proto(request.actor), request.request_id
        )
        # A new item has nothing raising its light yet (tracking has not heard of it): no read for that.
        answer = self._item(item) if replayed else item_to_proto(item, self.ledger.light(item))
        return ledger_pb2.RegisterItemResponse(item=answer, replayed=replayed)

    def GetItem(  # noqa: N802
        self, request: ledger_pb2.GetItemRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.GetItemResponse:
        return ledger_pb2.GetItemResponse(item=self._item(reading.get_item(self.ledger, request.id)))

    def UpdateItem(  # noqa: N802
        self, request: ledger_pb2.UpdateItemRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.UpdateItemResponse:
        patch = {name: getattr(request.patch, name) for name in PATCH_SCALARS if request.patch.HasField(name)}
        if request.patch.replace_co_units:
            patch["co_units"] = [(c.unit_id, c.duty) for c in request.patch.co_units]
        item = updating.update_item(
            self.ledger, request.id, request.expected_version, patch, request.reason, Actor.from_proto(request.actor)
        )
        return ledger_pb2.UpdateItemResponse(item=self._item(item))

    def ListItems(  # noqa: N802
        self, request: ledger_pb2.ListItemsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ListItemsResponse:
        page, raised = reading.list_item_page(
            self.ledger, query_from_filter(request.filter, self.ledger), request.page_size, request.page_token,
            request.include_total,
        )
        response = ledger_pb2.ListItemsResponse(next_page_token=page.next_token, total_size=page.total)
        today = self.ledger.clock.today()
        for row in page.rows:
            add_item_row(response.items, row, page.units.get(row.id, ()),
                         self.ledger.light(row, raised.get(row.id), today))
        return response

    def GetItemHistory(  # noqa: N802
        self, request: ledger_pb2.GetItemHistoryRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.GetItemHistoryResponse:
        changes = reading.item_history(self.ledger, request.id)
        return ledger_pb2.GetItemHistoryResponse(changes=[change_to_proto(c) for c in changes])

    def ListUnits(  # noqa: N802
        self, request: ledger_pb2.ListUnitsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ListUnitsResponse:
        units = directory.list_units(self.ledger, request.include_inactive)
        return ledger_pb2.ListUnitsResponse(units=[unit_to_proto(u) for u in units])

    def UpsertUnit(  # noqa: N802
        self, request: ledger_pb2.UpsertUnitRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.UpsertUnitResponse:
        u = request.unit
        unit = directory.upsert_unit(self.ledger, u.id, u.name, u.kind or "department", u.active,
                                     Actor.from_proto(request.actor), u.head_person_id)
        return ledger_pb2.UpsertUnitResponse(unit=unit_to_proto(unit))

    def ListPeople(  # noqa: N802
        self, request: ledger_pb2.ListPeopleRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ListPeopleResponse:
        people = directory.list_people(self.ledger, request.unit_id, request.role, request.include_inactive)
        return ledger_pb2.ListPeopleResponse(people=[person_to_proto(p) for p in people])

    def UpsertPerson(  # noqa: N802
        self, request: ledger_pb2.UpsertPersonRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.UpsertPersonResponse:
        p = request.person
        person = directory.upsert_person(self.ledger, p.id, p.name, p.unit_id, p.role, p.title, p.active,
                                         Actor.from_proto(request.actor), contacts_of(p))
        return ledger_pb2.UpsertPersonResponse(person=person_to_proto(person))

    def ExportLedger(  # noqa: N802
        self, request: ledger_pb2.ExportLedgerRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.FileChunk]:
        filename, chunks = xlsx_export.export_ledger(
            self.ledger, request.form, query_from_filter(request.filter, self.ledger), self.settings.org_name
        )
        # The first chunk (with the name) leaves as soon as the first rows are written.
        yield common_pb2.FileChunk(filename=filename, content_type=xlsx_export.CONTENT_TYPE, data=next(chunks))
        for chunk in chunks:
            yield common_pb2.FileChunk(data=chunk)

    def StartImport(  # noqa: N802
        self, request: ledger_pb2.StartImportRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.StartImportResponse:
        job = importing.start_import(
            self.ledger, self.settings.imports, self.settings.import_max_bytes, request.filename, request.content,
            request.mode, Actor.from_proto(request.actor),
        )
        self.import_worker.wake()
        return ledger_pb2.StartImportResponse(job=self._job(job))

    def GetImportJob(  # noqa: N802
        self, request: ledger_pb2.GetImportJobRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.GetImportJobResponse:
        return ledger_pb2.GetImportJobResponse(job=self._job(importing.get_job(self.ledger, request.id)))

    def ListImportJobs(  # noqa: N802
        self, request: ledger_pb2.ListImportJobsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ListImportJobsResponse:
        jobs = importing.list_jobs(self.ledger, request.page_size)
        return ledger_pb2.ListImportJobsResponse(jobs=[self._job(j, full=False) for j in jobs])

    def _job(self, job: ImportJob, full: bool = True) -> ledger_pb2.ImportJob:
        return import_job_to_proto(job, self.settings.imports.retention_hours, full)

    def RecomputeProvisionalDueDates(  # noqa: N802
        self, request: ledger_pb2.RecomputeProvisionalDueDatesRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.RecomputeProvisionalDueDatesResponse:
        updated, still = jobs.recompute_provisional(self.ledger, Actor.from_proto(request.actor))
        return ledger_pb2.RecomputeProvisionalDueDatesResponse(updated=updated, still_provisional=still)
