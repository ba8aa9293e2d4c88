"""Dates are checked where they are typed: a registration dated after today is refused at its field, and
a deadline on a day off is refused with the next working day offered as a one-click choice."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from duban.common.v1 import common_pb2, common_pb2_grpc
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from scripts.stack import Stack
from tests.browser.test_pages import fill_registration, login_as

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def office_today() -> dt.date:
    return dt.datetime.now(OFFICE_TZ).date()


def a_day_off_ahead(start: dt.date) -> dt.date:
    """The first Saturday (or holiday) from two weeks on that is not worked (not a 调休 make-up day)."""
    calendar = load_calendar()
    day = start + dt.timedelta(days=14)
    while calendar.is_working_day(day, provisional=True):
        day += dt.timedelta(days=1)
    return day


def submit(page: Page) -> int:
    with page.expect_response(lambda r: r.url.endswith("/items/new") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="立项", exact=True).click()
    return posted.value.status


def test_a_future_registration_date_and_a_deadline_on_a_day_off_are_refused_at_their_fields(page: Page) -> None:
    today = office_today()
    login_as(page, "office")
    fill_registration(page, f"日期校验{uuid.uuid4().hex[:8]}")
    page.get_by_label("立项时间").fill((today + dt.timedelta(days=5)).isoformat())
    assert submit(page) == 422
    registered = page.get_by_label("立项时间")
    expect(registered).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-registered_on")).to_have_text(f"立项时间不能晚于今天（{today.isoformat()}）")
    assert page.locator("#err-registered_on").evaluate(
        "e => e.parentElement.contains(document.getElementById('registered_on'))"), "error not at the field"

    day_off = a_day_off_ahead(today)
    suggested = load_calendar().next_working_day(day_off)
    page.get_by_label("立项时间").fill(today.isoformat())
    page.get_by_label("完成时限（留空则按工作日自动计算）").fill(day_off.isoformat())
    page.get_by_label("手工时限理由").fill("领导要求")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert submit(page) == 422
    error = page.locator("#err-due_date")
    expect(error).to_contain_text(f"{day_off.isoformat()}是")
    expect(error).to_contain_text(f"不是工作日；下一个工作日是{suggested.isoformat()}")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    choice = page.get_by_role("button", name=f"改为下一个工作日 {suggested.isoformat()}")
    expect(choice).to_be_visible()
    page.screenshot(path="var/screenshots/dates-1366.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path="var/screenshots/dates-768.png", full_page=True)

    choice.click()  # one click fills the suggested day in; the person still submits
    expect(page.get_by_label("完成时限（留空则按工作日自动计算）")).to_have_value(suggested.isoformat())
    expect(choice).to_be_hidden()
    page.get_by_role("button", name="立项", exact=True).click()
    expect(page).to_have_url(re.compile(r"/items/[^/?]+\?registered=1$"))
    expect(page.locator("dd").filter(has_text=f"{suggested.year}年{suggested.month}月{suggested.day}日").first).to_be_visible()


def set_time(stack: Stack, when: dt.datetime) -> None:
    for service in ("ledger", "tracking"):
        with stack.channel(service) as channel:
            common_pb2_grpc.ClockControlStub(channel).SetTime(common_pb2.SetTimeRequest(now=when.isoformat()),
                                                             timeout=10, wait_for_ready=True)


def notice_text(page: Page) -> str:
    with page.expect_download() as download:
        page.get_by_role("link", name="下载督办通知（DOCX）").click()
    return "\n".join(p.text for p in Document(io.BytesIO(Path(download.value.path()).read_bytes())).paragraphs)


def panel_deadline(page: Page):
    return page.locator("#tracking dt", has_text="完成时限").locator("xpath=following-sibling::dd[1]")


def test_a_provisional_deadline_says_so_and_its_revision_reaches_the_notice(page: Page, stack: Stack) -> None:
    """Registered on 24 Dec 2026 with no 2027 table: 暂定 on the item card, the tracking panel and the
    notice; the table arrives, the recompute moves the deadline, the panel and the notice say revised."""
    calendar_file = stack.state_dir / "calendar" / "2027.json"
    set_time(stack, dt.datetime(2026, 12, 24, 10, tzinfo=OFFICE_TZ))
    try:
        login_as(page, "office")
        title = f"暂定时限{uuid.uuid4().hex[:8]}"
        fill_registration(page, title)
        page.get_by_label("事项类别").select_option(value="complex")
        page.get_by_label("立项时间").fill("2026-12-24")
        page.get_by_role("button", name="立项", exact=True).click()
        expect(page).to_have_url(re.compile(r"/items/[^/?]+\?registered=1$"))
        provisional = "2027年1月8日（暂定，待国务院公布2027年节假日安排后确认）"
        expect(page.locator("dd", has_text=provisional).first).to_be_visible()
        for _ in range(50):  # tracking opens the assignment from the ledger's event within moments
            if page.locator("#tracking dt", has_text="完成时限").count():
                break
            page.wait_for_timeout(200)
            page.reload()
        expect(panel_deadline(page)).to_contain_text(provisional)
        expect(panel_deadline(page)).to_contain_text("调休上班日和节假日逢周末的补休尚不确定")
        page.get_by_role("button", name="发出督办通知").click()
        expect(page.get_by_role("link", name="下载督办通知（DOCX）")).to_be_visible()
        assert f"请于{provisional}前办结" in notice_text(page)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.locator("#tracking").screenshot(path="var/screenshots/provisional-panel-1366.png")

        # The State Council publishes 2027 (here: 元旦 1-4 Jan, Sat 9 Jan worked); the office recomputes.
        calendar_file.parent.mkdir(parents=True, exist_ok=True)
        calendar_file.write_text(json.dumps({
            "year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-04"}],
            "workdays": [{"name": "元旦调休", "date": "2027-01-09"}]}), encoding="utf-8")
        with stack.channel("ledger") as channel:
            ledger_pb2_grpc.LedgerServiceStub(channel).RecomputeProvisionalDueDates(
                ledger_pb2.RecomputeProvisionalDueDatesRequest(), timeout=30)
        revised = "办理时限由2027年1月8日调整为2027年1月9日（国务院公布2027年节假日安排）"
        for _ in range(50):
            page.reload()
            if page.locator("#tracking .revised").count():
                break
            page.wait_for_timeout(200)
        expect(page.locator("#tracking .revised")).to_contain_text(revised)
        expect(panel_deadline(page)).to_contain_text("2027年1月9日")
        expect(panel_deadline(page)).not_to_contain_text("暂定")
        text = notice_text(page)
        assert "督办通知（修订）" in text and "请于2027年1月9日前办结" in text and revised in text
        page.locator("#tracking").screenshot(path="var/screenshots/provisional-revised-1366.png")
        page.set_viewport_size({"width": 768, "height": 1024})
        page.locator("#tracking").screenshot(path="var/screenshots/provisional-revised-768.png")
    finally:
        # Leave the session's stack as it was: no 2027 table (the ledger reloads on the next recompute).
        calendar_file.unlink(missing_ok=True)
        with stack.channel("ledger") as channel:
            ledger_pb2_grpc.LedgerServiceStub(channel).RecomputeProvisionalDueDates(
                ledger_pb2.RecomputeProvisionalDueDatesRequest(), timeout=30)
        set_time(stack, dt.datetime.now(OFFICE_TZ))
