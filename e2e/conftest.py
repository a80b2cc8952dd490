"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

The tests are skipped (with the reason) when Chromium is not installed; CI installs it.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


# Package scope: Playwright's loop and the environment switch end with the browser tests, so
# they never leak into the rest of the suite.
@pytest.fixture(scope="package")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (CI installs it: apt-get chromium)")
    # Playwright's sync API keeps an asyncio loop in this thread; the test's own ORM calls
    # are synchronous and safe, so tell Django not to refuse them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (own cookies) and page on the live server."""
    contexts = []
    script_errors: list[str] = []

    def make(*, viewport: dict | None = None, bypass_csp: bool = False):
        # bypass_csp: for injecting a test's own script (axe), which the strict policy refuses.
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            locale="en-GB",
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert script_errors == [], "uncaught errors in the page scripts"


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def clinic(db):
    """A service, two providers with weekday hours, and policy rules the flow can meet."""
    from providers.tests.factories import ProviderFactory, ServiceCategoryFactory, ServiceFactory
    from scheduling.models import BookingPolicy

    category = ServiceCategoryFactory(name="Physiotherapy", slug="physiotherapy")
    service = ServiceFactory(category=category, name="Knee assessment", duration_minutes=30)
    first = ProviderFactory(display_name="Dr. Ada Osei", services=[service])
    second = ProviderFactory(display_name="Dr. Ben Kowalski", services=[service])
    policy = BookingPolicy.load()
    # Recommended slots start two hours ahead; a one-hour cut-off leaves room to change them.
    policy.client_cutoff_hours = 1
    policy.save()
    return {"service": service, "providers": [first, second], "policy": policy}
