"""/available names the days on which nobody who could take the service works (closed), in
the viewer's zone, so the month view shows them as closed rather than fully booked."""

from datetime import UTC, datetime

import pytest

from providers.models import TimeOff
from providers.tests.factories import ProviderFactory
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")  # Monday 12 January 2026, 08:00 UTC


def _closed(api, service, **extra):
    response = api.get(
        "/api/appointments/available",
        {"service": service.pk, "start": at(12, 0).isoformat(), "end": at(19, 0).isoformat()}
        | extra,
    )
    assert response.status_code == 200, response.content
    return response.json()["closed_days"]


def test_weekends_and_a_day_off_are_closed_a_visitor_reads_them_in_utc(
    api_client, clinic_provider, service
):
    TimeOff.objects.create(
        provider=clinic_provider,
        start=datetime(2026, 1, 14, 0, 0, tzinfo=UTC),
        end=datetime(2026, 1, 15, 0, 0, tzinfo=UTC),
        reason="Training",
    )
    assert _closed(api_client, service) == ["2026-01-14", "2026-01-17", "2026-01-18"]


def test_a_day_off_for_part_of_the_day_leaves_the_day_open(api_client, clinic_provider, service):
    TimeOff.objects.create(
        provider=clinic_provider,
        start=datetime(2026, 1, 14, 9, 0, tzinfo=UTC),
        end=datetime(2026, 1, 14, 16, 0, tzinfo=UTC),
    )
    assert "2026-01-14" not in _closed(api_client, service)


def test_the_dates_are_the_viewers_own(api_client, clinic_provider, service):
    # London's Friday 09:00-17:00 is Friday 22:00 to Saturday 06:00 in Auckland, so
    # Saturday is open there; Sunday and (up to the window's end) Monday are closed.
    assert _closed(api_client, service, timezone="Pacific/Auckland") == [
        "2026-01-18",
        "2026-01-19",
    ]


def test_a_signed_in_client_reads_them_in_their_own_zone(
    client_api, client_user, clinic_provider, service
):
    client_user.timezone = "Pacific/Auckland"
    client_user.save()
    assert _closed(client_api, service) == ["2026-01-18", "2026-01-19"]


def test_another_provider_working_that_day_keeps_it_open(api_client, clinic_provider, service):
    TimeOff.objects.create(
        provider=clinic_provider,
        start=datetime(2026, 1, 14, 0, 0, tzinfo=UTC),
        end=datetime(2026, 1, 15, 0, 0, tzinfo=UTC),
    )
    ProviderFactory(services=[service])
    assert _closed(api_client, service) == ["2026-01-17", "2026-01-18"]
    # Asking about the provider on leave alone, the day is closed again.
    assert "2026-01-14" in _closed(api_client, service, provider=clinic_provider.pk)


def test_an_unknown_zone_is_refused_by_name(api_client, service):
    response = api_client.get(
        "/api/appointments/available",
        {
            "service": service.pk,
            "start": at(12, 0).isoformat(),
            "end": at(19, 0).isoformat(),
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 400
    assert "timezone" in response.json()["errors"]
