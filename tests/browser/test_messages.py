"""消息 in Chromium: 陈静 (login `fgj`) sees the unread count in the header, finds the office's phone urge of
the demo in her inbox with names and the item's number, and 查看 opens the item and marks it read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from scripts.stack import Stack
from tests.browser.test_todo import log_in, nav_count
from tests.stack.test_messages_demo import arrived

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def test_the_inbox_from_the_header_to_the_item(page: Page, stack: Stack) -> None:
    urge = arrived(stack, "fgj", "item_urged", "请于本周五前报送年度投资计划调度进展")
    log_in(page, "fgj")
    before = nav_count(page, "消息")
    assert before >= 1
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("消息")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("消息")
    entry = page.locator(f"#message-{urge['id']}")
    expect(entry).to_contain_text("收到催办")
    expect(entry).to_contain_text("陈静（责任人）")
    expect(entry).to_contain_text(urge["item_no"])
    for width in (1366, 768):  # the office's screen and a tablet, to look at
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"var/screenshots/messages-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    entry.get_by_role("button", name=re.compile("^查看")).click()
    expect(page).to_have_url(re.compile(f"/items/{urge['item_id']}$"))
    after = page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("消息"))
    badge = after.locator(".badge")
    assert (int(badge.inner_text()) if badge.count() else 0) == before - 1
    page.goto("/messages")
    expect(page.locator(f"#message-{urge['id']}")).to_contain_text("已读于")
