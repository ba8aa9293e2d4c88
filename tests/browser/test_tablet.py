"""Every page at tablet width (768 px) and on a laptop (1366 px): no table column squeezed to a character
per line, nothing wider than the screen; the API docs open with a contents list that reaches every section."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from services.gateway.openapi import spec
from tests.browser.layout import NARROW_CELLS_JS
from tests.browser.test_pages import assert_no_page_overflow, login_as

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

TABLET: ViewportSize = {"width": 768, "height": 1024}
LAPTOP: ViewportSize = {"width": 1366, "height": 900}
# (page, who looks at it); "item" is the first item of the ledger.
PAGES = [
    ("/ledger", "office"), ("/ledger", "fgj"), ("item", "office"), ("item", "fgj"), ("/items/new", "office"),
    ("/desk", "office"), ("/lights", "office"), ("/todo", "fgj"), ("/queue", "leader"), ("/ledger/import", "office"),
    ("/admin/users", "admin"), ("/api/docs", "office"), ("/items/no-such-item", "fgj"),
    # Inspection's lists and the new-plan form (its other pages: tests/browser/test_inspection.py).
    ("/inspection/plans", "office"), ("/inspection/plans/new", "office"), ("/inspection/findings", "fgj"),
    ("/inspection/escalations", "leader"),
]


@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["768", "1366"])
@pytest.mark.parametrize(("target", "user"), PAGES, ids=[f"{t.strip('/').replace('/', '-')}-{u}" for t, u in PAGES])
def test_no_column_is_squeezed_and_nothing_is_wider_than_the_screen(
    page: Page, viewport: ViewportSize, target: str, user: str
) -> None:
    page.set_viewport_size(viewport)
    login_as(page, user)
    if target == "item":
        page.locator("table.ledger tbody a.item-no").first.click()
        expect(page.locator("h1 .item-no")).to_be_visible()
    else:
        page.goto(target)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    squeezed = page.evaluate(NARROW_CELLS_JS)
    assert squeezed == [], f"{target} at {viewport['width']} px: cells of fewer than two characters a line: {squeezed}"
    assert_no_page_overflow(page)


def test_api_docs_open_with_contents_that_reach_every_section(page: Page) -> None:
    page.set_viewport_size(TABLET)
    login_as(page, "office")
    page.goto("/api/docs")
    contents = page.get_by_role("navigation", name="目录")
    expect(contents).to_be_visible()
    operations = sum(len(methods) for methods in spec()["paths"].values())
    sections = page.locator("section.api-op")
    expect(sections).to_have_count(operations)
    targets = contents.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    anchors = sections.evaluate_all("ss => ss.map(s => '#' + s.querySelector('h3').id)")
    assert set(anchors) <= set(targets), "an operation the contents do not link to"
    missing = page.evaluate("hrefs => hrefs.filter(h => !document.getElementById(h.slice(1)))", targets)
    assert missing == [], f"contents links to nothing: {missing}"
    box = contents.bounding_box()
    assert box and box["y"] < TABLET["height"], "the contents are not on the first screen"

    contents.get_by_role("link", name="/api/v1/todo").click()  # a link takes the reader to its section
    heading = page.locator("#op-myTodo")
    expect(heading).to_be_in_viewport()
    expect(page.locator("section.api-op", has=heading)).to_contain_text("我的待办")
    page.locator("section.api-op", has=heading).get_by_role("link", name="回到目录").click()
    expect(contents).to_be_in_viewport()
