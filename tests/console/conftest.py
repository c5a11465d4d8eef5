"""A real browser (headless Chromium through Playwright) on the QA console, fenced to
loopback: its background services are off, its resolver knows nothing but loopback, and
any request the page makes to anything but the server under test is aborted and fails the
test. Console errors fail it too.

CI (`GROK_MOCK_REQUIRE_BROWSER=1`) fails when the browser is missing; elsewhere these
tests are skipped with the command that installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockserver import Emulator, LiveServer, ManualClock

CHROMIUM = os.environ.get("GROK_MOCK_CHROMIUM", "/usr/bin/chromium")
# The README's screenshots: `GROK_MOCK_SCREENSHOTS=docs/console pytest tests/console`
# rewrites them; otherwise each run's go to a temporary folder.
SHOTS = os.environ.get("GROK_MOCK_SCREENSHOTS")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def _require_browser() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright (pip install playwright)"
    if missing is None and shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        missing = f"Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if missing is not None:
        if os.environ.get("GROK_MOCK_REQUIRE_BROWSER"):
            pytest.fail(f"the browser tests need {missing}", pytrace=False)
        pytest.skip(f"the browser tests need {missing}")
    return sync_playwright


# Playwright's sync API keeps an asyncio loop running on this thread while it is open, so
# every later `asyncio.run` in the session would fail: the browser lives for this package only.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """A console page on a live server, and what went wrong in the browser."""

    server: LiveServer
    page: Any
    shots: Path = Path(".")
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def open(self, view: str = "jobs") -> None:
        self.page.goto(self.server.base_url + "/__mock/")
        self.page.get_by_role("tab", name=view.capitalize()).click()

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(clock=ManualClock(), profile="fast", seed=3)


@pytest.fixture
def console(browser: Any, emulator: Emulator, tmp_path: Path) -> Iterator[Console]:
    with LiveServer(emulator) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        found = Console(server, page, Path(SHOTS) if SHOTS else tmp_path)
        origin = urlsplit(server.base_url).netloc

        def fence(route: Any) -> None:
            if urlsplit(route.request.url).netloc == origin:
                route.continue_()
            else:
                found.outside.append(route.request.url)
                route.abort()

        page.route("**/*", fence)
        page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: found.errors.append(str(exc)))
        yield found
        context.close()
        assert found.outside == [], "the page reached beyond the server under test"
        assert found.errors == [], "the browser console showed errors"
