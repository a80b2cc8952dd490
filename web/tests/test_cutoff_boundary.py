"""Pages and the booking service agree on the client cut-off to the instant: exactly at the
cut-off the change is still open on every page and the service accepts it."""

from datetime import UTC, datetime, timedelta

import time_machine

from accounts.tests.support import auth_client
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.services import appointment_book
from scheduling.tests.support import at


def test_at_the_cutoff_instant_pages_offer_the_change_and_the_service_takes_it(
    db, client, client_user
):
    service = ServiceFactory(duration_minutes=30)
    clinic_provider = ProviderFactory(services=[service])
    with time_machine.travel(datetime(2026, 1, 12, 8, 0, tzinfo=UTC), tick=False):
        appointment = appointment_book(
            client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
        )
    client.force_login(client_user)
    cutoff = at(13, 10) - timedelta(hours=24)
    with time_machine.travel(cutoff, tick=False):
        detail = client.get(f"/appointments/{appointment.pk}").content.decode()
        listing = client.get("/appointments").content.decode()
        move = client.get(f"/appointments/{appointment.pk}/reschedule").content.decode()
        assert 'id="cutoff-note"' not in detail and 'id="reschedule-link"' in detail
        assert 'id="locked-note"' not in move
        assert f"/appointments/{appointment.pk}/reschedule" in listing
        response = auth_client(client_user).delete(f"/api/appointments/{appointment.pk}")
        assert response.status_code in (200, 204), response.content
    with time_machine.travel(cutoff + timedelta(seconds=1), tick=False):
        closed = client.get(f"/appointments/{appointment.pk}").content.decode()
    assert 'id="reschedule-link"' not in closed
