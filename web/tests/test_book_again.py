""" "Book again" on past appointments opens the booking page with their service and provider,
and the past list comes in pages, newest first."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from web.views.pages import PAST_PER_PAGE

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def past(db, client_user, time_machine):
    time_machine.move_to(NOW, tick=False)
    service = ServiceFactory(name="Knee assessment")
    other_service = ServiceFactory(name="Massage")
    provider = ProviderFactory(services=[service, other_service])
    other = ProviderFactory(services=[service, other_service])
    rows = [
        AppointmentFactory(
            client=client_user,
            service=service if n % 2 else other_service,
            provider=provider if n % 3 else other,
            start=NOW - timedelta(days=n + 1),
            status=AppointmentStatus.COMPLETED,
        )
        for n in range(PAST_PER_PAGE + 5)
    ]
    return rows, service, provider


def _past_ids(html: str) -> list[int]:
    section = html.split('id="past-list"', 1)[1].split("</ul>", 1)[0]
    return [int(pk) for pk in re.findall(r'data-appointment-id="(\d+)"', section)]


def test_past_appointments_come_in_pages_newest_first(client, client_user, past):
    rows, _, _ = past
    client.force_login(client_user)
    first = client.get("/appointments").content.decode()
    newest_first = [a.pk for a in sorted(rows, key=lambda a: a.start, reverse=True)]
    assert _past_ids(first) == newest_first[:PAST_PER_PAGE]
    assert "Page 1 of 2" in first and 'href="?page=2#past-title"' in first
    assert 'rel="prev"' not in first

    second = client.get("/appointments?page=2").content.decode()
    assert _past_ids(second) == newest_first[PAST_PER_PAGE:]
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    # A page past the end, or not a number, shows the last or the first page, never an error.
    assert _past_ids(client.get("/appointments?page=99").content.decode()) == _past_ids(second)
    assert _past_ids(client.get("/appointments?page=x").content.decode()) == _past_ids(first)


def test_a_short_past_list_has_no_pager(client, client_user, past):
    rows, _, _ = past
    for row in rows[3:]:
        row.delete()
    client.force_login(client_user)
    html = client.get("/appointments").content.decode()
    assert len(_past_ids(html)) == 3 and 'id="past-pager"' not in html


def test_book_again_preselects_the_service_and_provider(client, client_user, past):
    rows, service, provider = past
    client.force_login(client_user)
    row = next(a for a in rows if a.service_id == service.pk and a.provider_id == provider.pk)
    html = client.get("/appointments").content.decode()
    link = f"/book?service={service.pk}&amp;provider={provider.pk}"
    assert link in html
    # Each "Book again" names what it books again, for screen readers.
    assert (
        f'aria-label="Book again: Knee assessment with {provider.display_name}">Book again</a>'
        in html
    )
    assert row.pk in _past_ids(html)

    page = client.get(f"/book?service={service.pk}&provider={provider.pk}").content.decode()
    assert re.search(rf'<option value="{service.pk}"[^>]*selected', page)
    assert re.search(rf'<option value="{provider.pk}" data-services[^>]*selected', page)
    other = client.get(f"/book?service={service.pk}").content.decode()
    assert not re.search(rf'<option value="{provider.pk}" data-services[^>]*selected', other)


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 30, "١٢"])
def test_a_provider_that_is_not_an_id_preselects_nothing(client, client_user, past, value):
    client.force_login(client_user)
    response = client.get("/book", {"provider": value})
    assert response.status_code == 200
    assert not re.search(
        r'<option value="\d+" data-services[^>]*selected', response.content.decode()
    )
