"""Accessibility measured in a real browser: axe-core (pinned, served from e2e/vendor/, never
fetched) on every main page, for a visitor, a client, a provider and staff, on a wide screen
and on a phone: no serious or critical violation."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
# What each page must have finished drawing before it is measured.
READY = {
    "/book": "#browse:not([aria-busy]) .sb-day",
    "/reschedule": "#browse:not([aria-busy]) .sb-day",
}


def violations(page) -> list[dict]:
    """The serious and critical axe violations of the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture
def world(clinic):
    from accounts.tests.factories import UserFactory
    from scheduling.manage_links import manage_paths, manage_token
    from scheduling.selectors import available_slots
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    client_user = UserFactory(timezone="Europe/London")
    now = timezone.now()
    slot = available_slots(
        service=service, start=now + timedelta(days=2), end=now + timedelta(days=9)
    )[0]
    appointment = appointment_book(
        client=client_user, provider=provider, service=service, start=slot.start
    )
    staff = UserFactory(role="admin", is_staff=True, is_superuser=True)
    return {
        "service": service,
        "client": client_user,
        "provider": provider,
        "staff": staff,
        "appointment": appointment,
        "manage": manage_paths(manage_token(appointment))["view"],
    }


def pages_of(world) -> list[tuple[str, str | None]]:
    """(path, who) for every main page; who is None for a visitor."""
    appointment = world["appointment"]
    return [
        ("/", None),
        (f"/book?service={world['service'].pk}", None),
        ("/accounts/login/", None),
        ("/accounts/signup/", None),
        (world["manage"], None),
        (world["manage"] + "/reschedule", None),
        (world["manage"] + "/cancel", None),
        ("/", "client"),
        (f"/book?service={world['service'].pk}", "client"),
        ("/appointments", "client"),
        (f"/appointments/{appointment.pk}", "client"),
        (f"/appointments/{appointment.pk}/reschedule", "client"),
        ("/profile", "client"),
        ("/notifications", "client"),
        ("/waitlist", "client"),
        ("/schedule", "provider"),
        ("/schedule/calendars", "provider"),
        ("/admin/", "staff"),
    ]


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_no_serious_or_critical_violation_on_any_main_page(new_page, live_server, world, viewport):
    users = {"client": world["client"], "provider": world["provider"].user, "staff": world["staff"]}
    pages = {}
    found = {}
    for path, who in pages_of(world):
        if who not in pages:
            pages[who] = new_page(viewport=viewport, bypass_csp=True)
            if who is not None:
                login_as(pages[who], live_server, users[who])
        page = pages[who]
        page.goto(path)
        bare = path.split("?", 1)[0]
        ready = next((css for end, css in READY.items() if bare.endswith(end)), None)
        if bare.startswith("/manage/"):
            ready = None  # the manage pages are drawn by the server
        if ready:
            page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[f"{who or 'visitor'} {path}"] = problems
    assert not found, json.dumps(found, indent=1)
