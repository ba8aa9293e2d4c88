"""The item page right after each action shows what the action did - status, 交办时间, 完成时限, 转期, 办理
结果, 销号签字, the light - without a reload, though the ledger's copy of those columns arrives by event
later; attachments are listed with name, size, who and when and download; closing an item a co unit
never signed for asks for a confirmation; a closed item shows 已办结 without a light colour and no
report still awaited. Screenshots at 1366 and 768 px go to $DUBAN_SCREENSHOTS (default /tmp)."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from libs.common.deadline_text import chinese_date
from scripts.stack import Stack
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_pages import login_as
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.slow]

SHOTS = Path(os.environ.get("DUBAN_SCREENSHOTS", "/tmp"))
DESKTOP, TABLET = {"width": 1366, "height": 900}, {"width": 768, "height": 1024}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shoot(page: Page, name: str) -> None:
    for label, size in (("1366", DESKTOP), ("768", TABLET)):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]


def _as(browser: Browser, stack: Stack, username: str) -> Page:
    context = browser.new_context(base_url=stack.url, locale="zh-CN", accept_downloads=True,
                                  viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    login_as(page, username)
    return page


@pytest.fixture
def people(browser: Browser, stack: Stack) -> Iterator[dict[str, Page]]:
    pages = {u: _as(browser, stack, u) for u in ("office", "fgj", "leader")}
    yield pages
    for page in pages.values():
        page.context.close()


def _working_day_after(day: dt.date, days: int) -> str:
    later = day + dt.timedelta(days=days)
    while later.weekday() >= 5:
        later += dt.timedelta(days=1)
    return later.isoformat()


def test_the_item_page_shows_what_each_action_did_at_once(stack: Stack, people: dict[str, Page], tmp_path: Path) -> None:
    office_api = token(stack, "office")
    title = f"即时刷新{uuid.uuid4().hex[:6]}"
    reply = requests.post(f"{stack.url}/api/v1/items", headers=office_api, timeout=30, json={
        "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "co_units": [{"unit_id": "jyj", "duty": "配合"}], "responsible_leader_id": "ld-li"})
    assert reply.status_code == 201, reply.text
    item = reply.json()
    for _ in range(150):  # the assignment arrives through the broker; bounded
        if requests.get(f"{stack.url}/api/v1/items/{item['id']}/tracking", headers=office_api, timeout=10).ok:
            break
        time.sleep(0.1)
    url = f"/items/{item['id']}"
    office, fgj, leader = people["office"], people["fgj"], people["leader"]
    status, assigned = office.locator("#item-status"), office.locator("#item-assigned-on")

    office.goto(url)
    office.get_by_role("button", name="发出督办通知").click()
    expect(office.get_by_role("status")).to_contain_text("督办通知已发出")
    expect(status).to_have_text("已交办")  # no reload: the page is as the redirect rendered it
    expect(assigned).to_have_text(DATE)

    fgj.goto(url)
    fgj.get_by_role("button", name="签收督办通知").click()
    expect(fgj.get_by_role("status")).to_contain_text("已签收")
    fgj.locator("#report-text").fill("已召开专题会，形成会议纪要")
    minutes = tmp_path / "专题会纪要.txt"
    minutes.write_text("专题会纪要：明确分工。", encoding="utf-8")
    fgj.locator("#report-files").set_input_files(str(minutes))
    fgj.get_by_role("button", name="报送", exact=True).click()
    expect(fgj.get_by_role("status")).to_contain_text("进展情况已报送")
    files = fgj.locator("#tracking table").filter(has_text="提交人")
    row = files.locator("tbody tr").filter(has_text="专题会纪要.txt")
    expect(row).to_contain_text("陈静")
    expect(row).to_contain_text("字节")
    with fgj.expect_download() as download:
        row.get_by_role("link", name="专题会纪要.txt").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == "专题会纪要：明确分工。"
    assert download.value.suggested_filename == "专题会纪要.txt"

    new_due = _working_day_after(dt.date.fromisoformat(item["due_date"]), 7)
    fgj.locator("#ext-reason").fill("需协调省级部门审批")
    fgj.locator("#ext-date").fill(new_due)
    fgj.get_by_role("button", name="提交转期申请").click()
    expect(fgj.get_by_role("status")).to_contain_text("转期申请已提交")
    leader.goto(url)
    leader.get_by_role("button", name="同意转期").click()
    expect(leader.get_by_role("status")).to_contain_text("已签署转期意见")
    expect(leader.locator("#item-due-date")).to_contain_text(chinese_date(dt.date.fromisoformat(new_due)))  # the ledger's copy may still be the old
    expect(leader.locator("#item-extension")).to_contain_text("需协调省级部门审批")
    expect(leader.locator("#item-extension")).to_contain_text("李明")

    fgj.goto(url)
    fgj.locator("#reply-result").fill("审批已完成，项目开工")
    fgj.get_by_role("button", name="提交回复").click()
    expect(fgj.locator("#item-status")).to_have_text("已回复")
    expect(fgj.locator("#item-result")).to_have_text("审批已完成，项目开工")

    # 区教育局 (co unit) never signed: the completion form asks the office to confirm.
    office.goto(url)
    expect(office.locator("#unsigned-title")).to_contain_text("区教育局尚未签收督办通知")
    _shoot(office, "item-completion-confirm")
    office.get_by_role("button", name="提交领导签字").click()
    expect(status).to_have_text("已回复")  # the required box stopped the form
    office.get_by_label(re.compile("确认办结")).check()
    office.get_by_role("button", name="提交领导签字").click()
    expect(status).to_have_text("待销号")

    leader.goto(url)
    leader.get_by_role("button", name="签字销号").click()
    expect(leader.get_by_role("status")).to_contain_text("已签署办结报告单")
    expect(leader.locator("#item-status")).to_have_text("已归档")
    expect(leader.locator("#item-closure")).to_contain_text("李明")
    expect(leader.locator("p.explain .light")).to_have_text("已办结")
    expect(leader.locator("p.explain .light")).to_have_class(re.compile("light-none"))
    expect(leader.locator("#tracking")).not_to_contain_text("待报送")
    _shoot(leader, "item-closed")
    leader.goto(f"/ledger?q={title}")
    row = leader.locator("table tbody tr").filter(has_text=title)
    for _ in range(100):  # the ledger's copy follows by event; bounded
        if "已归档" in row.inner_text():
            break
        leader.wait_for_timeout(200)
        leader.reload()
    expect(row.locator(".light")).to_have_text("已办结")  # the list too: no colour for a closed item
    _shoot(leader, "ledger-closed")
