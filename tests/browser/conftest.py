"""Browser fixtures: one headless Debian chromium for the session, a fresh context (no cookies) per test.

Playwright drives /usr/bin/chromium (`make test` installs it with apt); no Playwright browser download
is used. axe-core comes from npm into .tools (`make test` installs it too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from scripts.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make /usr/bin/chromium` (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    assert AXE.exists(), f"{AXE} is missing: run `make .tools/node_modules/axe-core/axe.min.js`"
    return AXE


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A page in its own context (own cookies), so each test logs in as whoever it needs."""
    context = browser.new_context(base_url=stack.url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()
