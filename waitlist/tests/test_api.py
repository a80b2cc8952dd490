"""The waitlist API: own entries and offers only (others' are 404), bad input a 400 naming
the field with nothing written, and the token endpoints without login."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.support import auth_client
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.support import at
from waitlist import links
from waitlist.models import Offer, OfferStatus, WaitlistEntry
from waitlist.tests.factories import WaitlistEntryFactory, WaitlistRangeFactory

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")

ENTRIES = "/api/waitlist/entries"


def body(service, **changes):
    data = {
        "service": service.pk,
        "expires_on": "2026-01-31",
        "ranges": [
            {
                "first_date": "2026-01-13",
                "last_date": "2026-01-16",
                "earliest": "09:00",
                "latest": "12:00",
            }
        ],
    }
    return {**data, **changes}


def test_join_list_change_and_leave(client_api, service, clinic_provider):
    created = client_api.post(ENTRIES, body(service), format="json")
    assert created.status_code == 201, created.json()
    entry_id = created.json()["id"]
    assert created.json()["ranges"][0]["earliest"] == "09:00"

    assert [e["id"] for e in client_api.get(ENTRIES).json()["results"]] == [entry_id]
    changed = client_api.patch(f"{ENTRIES}/{entry_id}", {"urgency": "soon"}, format="json")
    assert changed.status_code == 200 and changed.json()["urgency"] == "soon"
    left = client_api.delete(f"{ENTRIES}/{entry_id}")
    assert left.status_code == 200 and left.json()["status"] == "left"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": 999_999}, "service"),
        ({"expires_on": "2026-01-01"}, "expires_on"),
        ({"expires_on": "2026-01-31T10:00:00Z"}, "expires_on"),
        ({"price": "0"}, "price"),
        ({"status": "fulfilled"}, "status"),
        ({"ranges": []}, "ranges"),
        (
            {
                "ranges": [
                    {
                        "first_date": "2026-01-05",
                        "last_date": "2026-01-06",
                        "earliest": "09:00",
                        "latest": "10:00",
                    }
                ]
            },
            "ranges[0].first_date",
        ),
        (
            {
                "ranges": [
                    {
                        "first_date": "2026-01-14",
                        "last_date": "2026-01-13",
                        "earliest": "09:00",
                        "latest": "10:00",
                    }
                ]
            },
            "ranges[0].last_date",
        ),
        (
            {
                "ranges": [
                    {
                        "first_date": "2026-01-14",
                        "last_date": "2026-01-15",
                        "earliest": "11:00",
                        "latest": "10:00",
                    }
                ]
            },
            "ranges[0].latest",
        ),
        (
            {
                "ranges": [
                    {
                        "first_date": "2026-01-14",
                        "last_date": "2026-01-15",
                        "earliest": "09:00+01:00",
                        "latest": "10:00",
                    }
                ]
            },
            "ranges[0].earliest",
        ),
        (
            {
                "ranges": [
                    {
                        "first_date": "2026-01-14",
                        "last_date": "2026-01-15",
                        "earliest": "09:00",
                        "latest": "10:00",
                        "zone": "UTC",
                    }
                ]
            },
            "ranges[0].zone",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    client_api, service, clinic_provider, changes, field
):
    response = client_api.post(ENTRIES, {**body(service), **changes}, format="json")

    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert any(name == field or name.startswith(f"{field}.") for name in errors), errors
    assert not WaitlistEntry.objects.exists()


def test_another_clients_appointment_is_a_404(client_api, service, clinic_provider):
    theirs = AppointmentFactory(provider=clinic_provider, service=service, start=at(16, 10))

    response = client_api.post(ENTRIES, body(service, appointment=theirs.pk), format="json")

    assert response.status_code == 404
    assert not WaitlistEntry.objects.exists()


def test_other_clients_entries_and_offers_are_404(client_api, other_client_user, service):
    theirs = WaitlistEntryFactory(client=other_client_user, service=service)
    WaitlistRangeFactory(entry=theirs)

    assert client_api.get(f"{ENTRIES}/{theirs.pk}").status_code == 404
    assert (
        client_api.patch(f"{ENTRIES}/{theirs.pk}", {"urgency": "soon"}, format="json").status_code
        == 404
    )
    assert client_api.delete(f"{ENTRIES}/{theirs.pk}").status_code == 404
    assert client_api.get(ENTRIES).json()["results"] == []
    theirs.refresh_from_db()
    assert (theirs.urgency, theirs.status) == ("routine", "active")


@pytest.fixture
def offer(client_user, join, committed, other_client_user, clinic_provider, service):
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    join(client_user)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    return Offer.objects.get()


def test_accept_an_offer_as_the_signed_in_client(client_api, offer):
    assert client_api.get("/api/waitlist/offers").json()["results"][0]["id"] == offer.pk
    response = client_api.post(f"/api/waitlist/offers/{offer.pk}/accept")
    assert response.status_code == 200, response.json()
    assert response.json()["start"] == "2026-01-13T10:00:00Z"

    again = client_api.post(f"/api/waitlist/offers/{offer.pk}/accept")
    assert again.status_code == 409
    assert again.json()["code"] == "hold_gone"


def test_another_clients_offer_is_a_404(offer, other_client_user):
    api = auth_client(other_client_user)
    for path in ("", "/accept", "/decline"):
        method = api.get if not path else api.post
        assert method(f"/api/waitlist/offers/{offer.pk}{path}").status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_token_accept_without_login_works_once(offer):
    anonymous = APIClient()
    token = links.offer_token(offer)

    first = anonymous.post("/api/waitlist/offers/token/accept", {"token": token}, format="json")
    assert first.status_code == 200, first.json()
    again = anonymous.post("/api/waitlist/offers/token/accept", {"token": token}, format="json")
    assert again.status_code == 409
    assert again.json()["errors"] == {"token": ["This link was already used."]}


def test_token_decline_refuses_a_tampered_token(offer):
    response = APIClient().post(
        "/api/waitlist/offers/token/decline", {"token": "not-a-token"}, format="json"
    )
    assert response.status_code == 400
    assert "token" in response.json()["errors"]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING
