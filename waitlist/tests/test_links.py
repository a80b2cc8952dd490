"""Signed offer links: bound to one offer and its client, single use, refused when tampered."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from accounts.tests.factories import UserFactory
from scheduling.errors import HoldGone
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import links, services
from waitlist.errors import LinkInvalid, LinkUsed
from waitlist.models import Offer

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


@pytest.fixture
def offer(client_user, join, committed, other_client_user, clinic_provider, service):
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    join(client_user)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    return Offer.objects.get()


def test_a_link_names_its_offer_and_client(offer, client_user):
    assert links.offer_for_token(links.offer_token(offer)) == (offer, client_user)
    assert links.offer_link(offer, action="accept").endswith(
        f"/waitlist/offers/accept/{links.offer_token(offer)}"
    )


def test_a_link_works_once(offer, client_user, committed):
    token = links.offer_token(offer)
    found, client = links.offer_for_token(token)
    with committed():
        services.offer_accept(offer=found, client=client, now=timezone.now())

    with pytest.raises(LinkUsed):
        links.offer_for_token(token)


def test_a_tampered_link_is_refused(offer):
    token = links.offer_token(offer)
    with pytest.raises(LinkInvalid):
        links.offer_for_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_a_link_for_another_client_is_refused(offer):
    forged = signing.dumps(
        {"o": offer.pk, "c": UserFactory().pk, "n": offer.nonce, "e": 0},
        salt="other-salt",
        compress=True,
    )
    with pytest.raises(LinkInvalid):
        links.offer_for_token(forged)


def test_a_link_with_another_nonce_is_refused(offer):
    token = links.offer_token(offer)
    offer.nonce = "renewed"
    offer.save(update_fields=["nonce"])
    with pytest.raises(LinkInvalid):
        links.offer_for_token(token)


def test_an_expired_link_expires_the_offer(offer, committed, time_machine):
    token = links.offer_token(offer)
    time_machine.move_to(offer.expires_at + timedelta(seconds=1), tick=False)
    found, client = links.offer_for_token(token)
    with committed(), pytest.raises(HoldGone):
        services.offer_accept(offer=found, client=client, now=timezone.now())

    with pytest.raises(HoldGone):
        links.offer_for_token(token)
