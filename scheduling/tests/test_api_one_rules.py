"""The API asks the one rules engine: /available applies the signed-in client's own limits
like /recommended and booking do, both answer in one slot shape, and a refusal carries the
rule's own field and words whichever endpoint meets it."""

import pytest

from accounts.tests.support import auth_client
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")

SLOT_KEYS = {
    "provider",
    "service",
    "start",
    "end",
    "local_start",
    "local_end",
    "timezone",
    "change_until",
    "changeable",
    "seats_left",
}


def window(day: int) -> dict:
    return {"start": at(day, 0).isoformat(), "end": at(day + 1, 0).isoformat()}


def starts(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {slot["start"] for slot in response.json()["slots"]}


def test_available_leaves_out_the_clients_own_busy_time_with_any_provider(
    client_api, client_user, clinic_provider, service
):
    from providers.tests.factories import ProviderFactory

    other = ProviderFactory(services=[service])
    appointment_book(client=client_user, provider=other, service=service, start=at(13, 10))
    response = client_api.get("/api/appointments/available", {"service": service.pk, **window(13)})
    offered = starts(response)
    # 10:00 is free with clinic_provider, but the client is busy with `other` then.
    assert "2026-01-13T10:00:00Z" not in offered
    assert "2026-01-13T09:30:00Z" in offered and "2026-01-13T10:30:00Z" in offered


def test_available_leaves_out_days_where_the_client_holds_the_daily_maximum(
    client_api, client_user, clinic_provider, service
):
    policy = BookingPolicy.load()
    policy.max_client_appointments_per_day = 1
    policy.save()
    appointment_book(client=client_user, provider=clinic_provider, service=service, start=at(13, 9))
    full_day = client_api.get("/api/appointments/available", {"service": service.pk, **window(13)})
    assert starts(full_day) == set()
    next_day = client_api.get("/api/appointments/available", {"service": service.pk, **window(14)})
    assert "2026-01-14T09:00:00Z" in starts(next_day)


def test_public_provider_availability_knows_no_client(
    api_client, client_user, clinic_provider, service
):
    appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    response = api_client.get(
        f"/api/providers/{clinic_provider.pk}/availability", {"service": service.pk, **window(13)}
    )
    offered = starts(response)
    assert "2026-01-13T10:00:00Z" not in offered  # the provider's own busy time
    assert "2026-01-13T10:30:00Z" in offered


def test_available_and_recommended_answer_in_one_slot_shape(client_api, clinic_provider, service):
    available = client_api.get(
        "/api/appointments/available", {"service": service.pk, **window(13)}
    ).json()["slots"][0]
    recommended = client_api.get(
        "/api/appointments/recommended", {"service": service.pk, **window(13)}
    ).json()["results"][0]
    assert set(available) == SLOT_KEYS
    assert set(recommended) == SLOT_KEYS | {"recommendation_id", "rank", "score", "reasons"}
    assert available["provider"] == {"id": clinic_provider.pk, "name": clinic_provider.display_name}
    assert recommended["provider"] == available["provider"]
    assert recommended["service"] == available["service"] == service.pk
    assert recommended["start"].endswith("Z") and recommended["local_start"][-6:] == "+00:00"
    assert available["seats_left"] is None and recommended["seats_left"] is None  # private


def test_a_provider_not_offering_the_service_is_refused_alike_by_booking_and_recommendation(
    client_api, service
):
    from providers.tests.factories import ProviderFactory

    stranger = ProviderFactory()
    booking = client_api.post(
        "/api/appointments",
        {"provider": stranger.pk, "service": service.pk, "start": "2026-01-13T10:00:00Z"},
        format="json",
    )
    recommendation = client_api.get(
        "/api/appointments/recommended",
        {"service": service.pk, "provider": stranger.pk, **window(13)},
    )
    assert booking.status_code == recommendation.status_code == 400
    assert (
        booking.json()["errors"]
        == recommendation.json()["errors"]
        == {"service": [f"{stranger.display_name} does not offer {service.name}."]}
    )


def test_moving_an_appointment_offers_times_overlapping_its_own_but_not_its_start(
    client_api, client_user, clinic_provider, service
):
    policy = BookingPolicy.load()
    policy.max_client_appointments_per_day = 1
    policy.save()
    mine = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    query = {"service": service.pk, **window(13)}
    # As a new booking the day is full (limit 1); as a move of `mine` it is not.
    assert starts(client_api.get("/api/appointments/available", query)) == set()
    moves = starts(client_api.get("/api/appointments/available", {**query, "reschedule": mine.pk}))
    assert "2026-01-13T10:15:00Z" in moves  # overlaps its own 10:00-10:30, which it leaves
    assert "2026-01-13T10:00:00Z" not in moves  # where it already is
    recommended = client_api.get(
        "/api/appointments/recommended", {**query, "reschedule": mine.pk, "limit": 20}
    ).json()["results"]
    assert recommended and {r["start"] for r in recommended} <= moves
    # Every offered move is accepted by the service.
    response = client_api.put(
        f"/api/appointments/{mine.pk}", {"start": "2026-01-13T10:15:00Z"}, format="json"
    )
    assert response.status_code == 200, response.content


def test_moving_someone_elses_appointment_is_404_and_the_service_is_kept(
    client_api, other_client_user, clinic_provider, service
):
    theirs = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    query = {"service": service.pk, **window(13), "reschedule": theirs.pk}
    assert client_api.get("/api/appointments/available", query).status_code == 404
    assert client_api.get("/api/appointments/recommended", query).status_code == 404
    from providers.tests.factories import ServiceFactory

    other_service = ServiceFactory()
    mine_client = auth_client(other_client_user)
    response = mine_client.get(
        "/api/appointments/available", {**query, "service": other_service.pk}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"service": ["A moved appointment keeps its service."]}
