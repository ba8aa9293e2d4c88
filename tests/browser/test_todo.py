"""Each role lands on its own work after login: 我的待办 for a unit, 待我签批 for a leader, the desk for the
office. The count in the navigation is the list it opens, and each entry leads to where the act is done."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.demo_data import DEMO_PASSWORD
from scripts.stack import Stack
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def api(stack: Stack, method: str, path: str, headers: dict[str, str], **kw) -> dict:
    reply = requests.request(method, f"{stack.url}/api/v1{path}", headers=headers, timeout=30, **kw)
    assert reply.status_code in (200, 201), f"{method} {path}: {reply.status_code} {reply.text[:300]}"
    return reply.json()


def notified_item(stack: Stack, title: str) -> dict:
    """Led by 发改局 (fgj) with 教育局 as co unit, 李明 responsible; the notice out, nobody signed yet."""
    office = token(stack, "office")
    item = api(stack, "POST", "/items", office, json={
        "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "co_units": [{"unit_id": "jyj", "duty": "配合"}], "responsible_leader_id": "ld-li"})
    for _ in range(150):  # the assignment arrives through the broker; bounded
        if requests.get(f"{stack.url}/api/v1/items/{item['id']}/tracking", headers=office, timeout=10).ok:
            break
        time.sleep(0.1)
    api(stack, "POST", f"/items/{item['id']}/notice", office, json={"contact_name": "王芳"})
    return item


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def nav_count(page: Page, name: str) -> int:
    link = page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile(name))
    return int(link.locator(".badge").inner_text())


@pytest.mark.slow
def test_a_unit_lands_on_its_to_do_and_signs_from_there(page: Page, stack: Stack) -> None:
    title = f"待办签收{uuid.uuid4().hex[:6]}"
    item = notified_item(stack, title)
    log_in(page, "fgj")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的待办")
    entries = page.locator("li.todo-entry")
    before = entries.count()
    assert nav_count(page, "我的待办") == before  # the count is the list it opens
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("待签收的督办通知")))
    mine = section.locator("li.todo-entry", has_text=title)
    expect(mine).to_contain_text(item["item_no"])
    expect(mine).to_contain_text("区发展和改革局")
    expect(mine).to_contain_text("前签收")
    reply = page.locator("section", has=page.get_by_role("heading", name=re.compile("待书面回复"))).locator(
        "li.todo-entry", has_text=title)
    expect(reply).to_contain_text(f"请于完成时限 {item['due_date']} 前书面回复办理结果")

    mine.get_by_role("link", name=re.compile("签收")).click()  # where the act is done: the item's panel
    expect(page).to_have_url(re.compile(rf"/items/{item['id']}#tracking$"))
    page.get_by_role("button", name="签收督办通知").click()
    expect(page.get_by_role("status")).to_contain_text("已签收")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("我的待办")).click()
    expect(page.locator("li.todo-entry", has_text=title)).not_to_have_count(0)  # the reply is still due
    expect(section.locator("li.todo-entry", has_text=title)).to_have_count(0)  # signed: no longer listed
    assert entries.count() == before - 1 == nav_count(page, "我的待办")


@pytest.mark.slow
def test_the_leader_lands_on_the_queue_and_sees_who_asked_and_when(page: Page, stack: Stack) -> None:
    title = f"待我签批{uuid.uuid4().hex[:6]}"
    item = notified_item(stack, title)
    later = (dt.date.fromisoformat(item["due_date"]) + dt.timedelta(days=14)).isoformat()
    api(stack, "POST", f"/items/{item['id']}/extensions", token(stack, "fgj"),
        json={"reason": "需市级部门会审", "new_due_date": later, "progress": "方案已报审"})
    log_in(page, "leader")
    expect(page.get_by_role("heading", level=1)).to_contain_text("待我签批")
    cards = page.locator("article.card")
    assert nav_count(page, "待我签批") == cards.count() > 0
    card = cards.filter(has=page.get_by_role("link", name=re.compile(title)))
    expect(card).to_contain_text("申请：区发展和改革局 陈静")  # the unit and the person who asked
    expect(card).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 提交（(今天|已等待 \d+ 个工作日)）"))
    expect(card).to_contain_text("需市级部门会审")
    card.get_by_label("意见").fill("同意")
    card.get_by_role("button", name="同意转期").click()
    expect(page.get_by_role("status")).to_contain_text("已签署转期意见")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("待我签批")).click()
    expect(page.get_by_role("link", name=re.compile(title))).to_have_count(0)  # signed: off the queue
    assert nav_count(page, "待我签批") == cards.count()


def test_the_office_lands_on_its_desk(page: Page) -> None:
    log_in(page, "office")
    expect(page.get_by_role("heading", level=1)).to_have_text("督办工作台")
