"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

No browser is ever downloaded: ``make e2e-deps`` installs Debian's ``chromium`` when
/usr/bin/chromium is missing. Screenshots land in test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop on the main thread; the ORM calls the tests make
# around it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("COORDCELL_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "a-long-test-password"  # the factories' password
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Session:
    """One user's browser context, logged in through the real log-in page."""

    def __init__(self, browser: Any, base_url: str, username: str) -> None:
        self.context = browser.new_context(
            base_url=base_url, viewport=LAPTOP, locale="en-GB", accept_downloads=True
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.username = username
        self.base_url = base_url
        page = self.page
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base_url}/")

    def figure(self, label: str) -> str:
        """The value shown on the home dashboard for the figure with this label."""
        self.page.goto("/")
        card = self.page.locator("a.figure", has_text=label).first
        return card.locator(".value").inner_text().replace(",", "").strip()

    def screenshot(self, name: str, path: str = "/") -> None:
        """Both layouts of a page (the home dashboard unless told otherwise)."""
        if path and self.page.url.removeprefix(self.base_url) != path:
            self.page.goto(path)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("laptop", LAPTOP), ("tablet", TABLET)):
            self.page.set_viewport_size(size)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size(LAPTOP)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def login(browser: Any, live_server: Any) -> Iterator[Any]:
    sessions: list[Session] = []

    def make(username: str) -> Session:
        session = Session(browser, live_server.url, username)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The axe-core counts per page, the phone widths and the task tallies (tests/e2e/pages.py)."""
    from .pages import REPORT, REPORT_FILE

    if not REPORT:
        return
    terminalreporter.section("browser report: axe-core findings, phone widths, clicks")
    for line in REPORT:
        terminalreporter.write_line(line)
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text("\n".join(REPORT) + "\n")
