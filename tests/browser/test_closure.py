"""The leader signs a completion report on a phone and writes a new instruction; the ledger shows the
follow-up item (续办) linked both ways. The steps before the signature go through the REST API."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import Page, ViewportSize, expect

from scripts.stack import Stack
from tests.browser.test_pages import assert_no_page_overflow, login_as
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

PHONE: ViewportSize = {"width": 390, "height": 844}


def _api(stack: Stack, method: str, path: str, headers: dict[str, str], **kw) -> dict:
    reply = requests.request(method, f"{stack.url}/api/v1{path}", headers=headers, timeout=30, **kw)
    assert reply.status_code in (200, 201), f"{method} {path}: {reply.status_code} {reply.text[:300]}"
    return reply.json()


def _awaiting_signature(stack: Stack, title: str) -> dict:
    office, fgj = token(stack, "office"), token(stack, "fgj")
    item = _api(stack, "POST", "/items", office, json={
        "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li"})
    for _ in range(150):  # the assignment arrives through the broker; bounded
        if requests.get(f"{stack.url}/api/v1/items/{item['id']}/tracking", headers=office, timeout=10).ok:
            break
        time.sleep(0.1)
    _api(stack, "POST", f"/items/{item['id']}/notice", office, json={"contact_name": "王芳"})
    _api(stack, "POST", f"/items/{item['id']}/acknowledgements", fgj)
    _api(stack, "POST", f"/items/{item['id']}/reply", fgj,
         json={"result": "已完成", "root_cause": "审批环节多", "measures": "建立周调度"})
    _api(stack, "POST", f"/items/{item['id']}/completion-report", office, json={"report_kind": "special"})
    return item


@pytest.mark.slow
def test_a_leader_signs_on_a_phone_and_the_new_instruction_becomes_a_follow_up(page: Page, stack: Stack) -> None:
    title = f"手机签批{uuid.uuid4().hex[:6]}"
    item = _awaiting_signature(stack, title)
    page.set_viewport_size(PHONE)
    login_as(page, "leader")
    page.goto("/queue")
    card = page.locator("article", has=page.get_by_role("link", name=re.compile(title)))
    expect(card).to_have_count(1)
    assert_no_page_overflow(page)
    card.get_by_label(re.compile("新的批示")).fill("请发改局牵头做好二期工作")
    card.get_by_role("button", name="签字销号").click()
    expect(page.get_by_role("status")).to_contain_text("已签署办结报告单")

    page.goto(f"/items/{item['id']}")
    expect(page.locator("#tracking, section").filter(has_text="新的批示").first).to_contain_text("请发改局牵头做好二期工作")
    link = page.locator("table tbody a.item-no")  # the 续办事项 line of the history
    for _ in range(100):  # the ledger registers it when item.closed arrives; bounded
        if link.count():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(link).to_have_count(1)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{title}（续办）")
    facts = page.locator("dl.facts").first  # the ledger's facts (the tracking panel has its own)
    expect(facts).to_contain_text("请发改局牵头做好二期工作")
    back = facts.locator("a.item-no")
    expect(back).to_have_text(item["item_no"])
    back.click()
    expect(page).to_have_url(re.compile(rf"/items/{item['id']}$"))
