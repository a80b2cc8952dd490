"""Acting on a high no-show risk (`attendance.actions`): the signed answer links and their
pages, "I'm coming" (confirmed once), "I can't make it" (cancelled, its time offered to the
waitlist), confirm-or-release held to the deadline the client was told, and standby places.

The clinic is frozen on Monday 12 January 2026, 08:00 UTC (London on GMT); the risky
appointment is on Wednesday 14 January at 10:00 UTC, 50 hours ahead.
"""

from datetime import date, time, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from accounts.tests.factories import UserFactory
from attendance import actions
from attendance.models import RiskLevel, RiskScore
from providers.models import Urgency
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import events
from scheduling.models import AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from scheduling.tests.support import at
from waitlist import services as waitlist_services
from waitlist.errors import LinkInvalid, LinkUsed
from waitlist.models import Offer, OfferStatus, StandbyPlace, StandbyStatus
from waitlist.services import RangeInput

pytestmark = pytest.mark.usefixtures("frozen_now")

WEDNESDAY = date(2026, 1, 14)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def service(db):
    return ServiceFactory(name="Physiotherapy", duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service], display_name="Dr. Ada Jones")


@pytest.fixture
def policy(db):
    policy = BookingPolicy.load()
    policy.min_notice_minutes = 60
    policy.save()
    return policy


@pytest.fixture
def risky_client(db):
    return UserFactory(role="client", timezone="America/New_York", first_name="Rosa")


def high_risk(appointment, probability: float = 0.6):
    RiskScore.objects.update_or_create(
        appointment=appointment,
        defaults={"probability": probability, "level": RiskLevel.HIGH, "reasons": []},
    )
    return appointment


@pytest.fixture
def risky(policy, committed, risky_client, clinic_provider, service):
    """Rosa's Physiotherapy on Wednesday 14 January, 10:00 UTC, at high risk."""
    with committed():
        appointment = appointment_book(
            client=risky_client, provider=clinic_provider, service=service, start=at(14, 10)
        )
    return high_risk(appointment)


def join(client, service, committed, *, short_notice=False, urgency=Urgency.ROUTINE):
    """Wait for Wednesday 10:00-10:30 London (= UTC in January)."""
    with committed():
        return waitlist_services.entry_join(
            client=client,
            service=service,
            ranges=[RangeInput(WEDNESDAY, WEDNESDAY, time(10), time(10, 30))],
            expires_on=date(2026, 1, 31),
            short_notice=short_notice,
            urgency=urgency,
            now=timezone.now(),
        )


def token_of(appointment) -> str:
    return actions.answer_token(appointment)


# --- the defaults ----------------------------------------------------------------------------


def test_the_policies_default_to_reminding_and_standby_but_never_releasing(db):
    policy = BookingPolicy.load()
    assert policy.extra_reminder_for_high_risk is True
    assert policy.extra_reminder_hours_before == 48
    assert policy.confirm_or_release is False
    assert policy.confirm_by_hours_before == 24
    assert policy.release_warning_hours == 12
    assert policy.standby_places is True


def test_the_deadline_must_come_after_the_reminder(db):
    from django.core.exceptions import ValidationError

    policy = BookingPolicy.load()
    policy.confirm_by_hours_before = 48
    with pytest.raises(ValidationError) as error:
        policy.full_clean()
    assert "confirm_by_hours_before" in error.value.message_dict


def test_nothing_is_released_while_confirm_or_release_is_off(risky, time_machine):
    time_machine.move_to(at(13, 11), tick=False)
    assert list(actions.releases_due(now=timezone.now())) == []
    assert actions.appointments_release(now=timezone.now(), told={risky.pk: at(13, 10)}) == []
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.BOOKED


# --- the links -------------------------------------------------------------------------------


def test_a_link_names_its_appointment(risky):
    assert actions.appointment_for_answer(token_of(risky), now=timezone.now()) == risky
    coming = actions.answer_link(risky, answer=actions.COMING)
    assert coming.endswith(f"/attendance/coming/{token_of(risky)}")
    assert actions.answer_links(risky)[actions.CANNOT_COME].endswith(
        f"/attendance/cannot-come/{token_of(risky)}"
    )


def test_a_tampered_link_is_refused(risky):
    token = token_of(risky)
    with pytest.raises(LinkInvalid):
        actions.appointment_for_answer(
            token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), now=timezone.now()
        )


def test_a_link_signed_for_another_kind_or_client_is_refused(risky, other_client_user):
    payload = {"a": risky.pk, "c": risky.client_id, "s": 0, "e": 0}
    offer_kind = signing.dumps(payload, salt="waitlist.offer-link", compress=True)
    other_client = signing.dumps(
        {**payload, "c": other_client_user.pk}, salt=actions.SALT, compress=True
    )
    missing_key = signing.dumps({"a": risky.pk}, salt=actions.SALT, compress=True)
    for token in (offer_kind, other_client, missing_key, "not-a-token"):
        with pytest.raises(LinkInvalid):
            actions.appointment_for_answer(token, now=timezone.now())


def test_a_link_for_a_moved_appointment_is_gone(risky, committed):
    token = token_of(risky)
    with committed():
        appointment_reschedule(appointment=risky, new_start=at(14, 11), actor=risky.client)
    with pytest.raises(actions.AnswerGone, match="moved"):
        actions.appointment_for_answer(token, now=timezone.now())


def test_a_link_is_gone_once_the_appointment_starts(risky, time_machine):
    token = token_of(risky)
    time_machine.move_to(risky.start, tick=False)
    with pytest.raises(actions.AnswerGone):
        actions.appointment_for_answer(token, now=timezone.now())


def test_a_link_of_an_appointment_the_clinic_cancelled_is_gone(risky, committed, admin_user):
    token = token_of(risky)
    with committed():
        appointment_cancel(appointment=risky, actor=admin_user, reason="Closed for the day.")
    with pytest.raises(actions.AnswerGone):
        actions.appointment_for_answer(token, now=timezone.now())


def test_a_used_cannot_come_link_answers_used(risky, committed):
    token = token_of(risky)
    with committed():
        actions.attendance_cannot_come(appointment=risky)
    with pytest.raises(LinkUsed):
        actions.appointment_for_answer(token, now=timezone.now())


# --- the answers -----------------------------------------------------------------------------


def test_coming_confirms_once(risky, committed):
    sent = []

    def record(sender, **kwargs):
        sent.append(kwargs["appointment_id"])

    events.appointment_confirmed.connect(record)
    try:
        with committed():
            first = actions.attendance_coming(appointment=risky)
        confirmed_at = first.confirmed_at
        with committed():
            again = actions.attendance_coming(appointment=risky)
    finally:
        events.appointment_confirmed.disconnect(record)
    assert confirmed_at == timezone.now()
    assert again.confirmed_at == confirmed_at
    assert sent == [risky.pk]
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.CONFIRMED
    assert risky.confirmed_at == confirmed_at


def test_a_move_clears_the_confirmation_of_the_old_time(risky, committed):
    with committed():
        actions.attendance_coming(appointment=risky)
        moved = appointment_reschedule(appointment=risky, new_start=at(14, 11), actor=risky.client)
    assert moved.status == AppointmentStatus.BOOKED and moved.confirmed_at is None
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.BOOKED and risky.confirmed_at is None
    high_risk(risky)  # whatever its new time's score, a high-risk move is reminded again
    policy = BookingPolicy.load()
    policy.extra_reminder_hours_before = 72
    assert list(actions.extra_reminders_due(now=timezone.now(), policy=policy)) == [risky]


def test_cannot_come_frees_the_time_to_the_waitlist_even_after_the_cut_off(
    risky, committed, other_client_user, service, time_machine
):
    join(other_client_user, service, committed)
    # Tuesday 12:00 UTC: 22 hours before, inside the client's 24-hour cut-off.
    time_machine.move_to(at(13, 12), tick=False)
    with committed():
        cancelled = actions.attendance_cannot_come(appointment=risky)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancellation_reason == actions.CANNOT_COME_REASON
    assert cancelled.cancelled_by is None
    offer = Offer.objects.get()
    assert (offer.entry.client, offer.start, offer.status) == (
        other_client_user,
        at(14, 10),
        OfferStatus.PENDING,
    )


# --- the pages -------------------------------------------------------------------------------


def page(client, answer, token):
    return f"/attendance/{answer}/{token}"


def test_the_page_shows_the_time_in_the_clients_zone_and_changes_nothing_on_get(risky, client):
    response = client.get(page(client, "coming", token_of(risky)))
    assert response.status_code == 200
    html = response.content.decode()
    # 10:00 UTC is 05:00 in New York, named.
    assert "Wednesday 14 January 2026, 05:00" in html
    assert "(America/New_York)" in html
    assert 'id="answer-confirm"' in html
    risky.refresh_from_db()
    assert risky.confirmed_at is None


def test_posting_coming_confirms(risky, client, committed):
    with committed():
        response = client.post(page(client, "coming", token_of(risky)))
    assert response.status_code == 200
    assert "You told us you are coming" in response.content.decode()
    risky.refresh_from_db()
    assert risky.confirmed_at == timezone.now()


def test_posting_cannot_come_cancels_and_the_link_then_answers_used(risky, client, committed):
    token = token_of(risky)
    with committed():
        response = client.post(page(client, "cannot-come", token))
    assert response.status_code == 200
    assert "is cancelled" in response.content.decode()
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.CANCELLED

    again = client.post(page(client, "cannot-come", token))
    assert again.status_code == 409
    assert "already used" in again.content.decode()
    assert client.get(page(client, "coming", token)).status_code == 409


def test_a_changed_link_answers_400_and_an_unknown_answer_404(risky, client):
    token = token_of(risky)
    assert client.get(page(client, "coming", token + "x")).status_code == 400
    assert client.post(page(client, "coming", "nonsense")).status_code == 400
    assert client.get(page(client, "maybe", token)).status_code == 404


def test_a_link_past_the_start_answers_410(risky, client, time_machine):
    token = token_of(risky)
    time_machine.move_to(risky.start + timedelta(minutes=1), tick=False)
    response = client.post(page(client, "coming", token))
    assert response.status_code == 410
    assert "Nothing was changed" in response.content.decode()
    risky.refresh_from_db()
    assert risky.confirmed_at is None


def test_coming_after_a_release_answers_410(risky, client, committed, policy, time_machine):
    token = token_of(risky)
    policy.confirm_or_release = True
    policy.save()
    time_machine.move_to(at(13, 10, 5), tick=False)
    with committed():
        assert actions.appointments_release(now=timezone.now(), told={risky.pk: at(13, 10)}) == [
            risky.pk
        ]
    assert client.post(page(client, "coming", token)).status_code == 410


# --- confirm-or-release ------------------------------------------------------------------------


@pytest.fixture
def releasing(policy):
    policy.confirm_or_release = True
    policy.save()
    return policy


def test_the_deadline_told_is_the_confirm_by_time_when_there_is_time_to_answer(risky, releasing):
    assert actions.confirm_deadline(risky, now=at(12, 10), policy=releasing) == at(13, 10)
    # Told 11 hours before the deadline: less than the 12 hours' warning, so no deadline.
    assert actions.confirm_deadline(risky, now=at(12, 23), policy=releasing) is None
    releasing.confirm_or_release = False
    assert actions.confirm_deadline(risky, now=at(12, 10), policy=releasing) is None


def test_an_unconfirmed_appointment_is_released_once_past_the_deadline_it_was_told(
    risky, releasing, committed, other_client_user, service, time_machine
):
    join(other_client_user, service, committed)
    told = {risky.pk: at(13, 10)}
    time_machine.move_to(at(13, 9, 59), tick=False)
    assert actions.appointments_release(now=timezone.now(), told=told) == []

    time_machine.move_to(at(13, 10), tick=False)
    with committed():
        assert actions.appointments_release(now=timezone.now(), told=told) == [risky.pk]
    with committed():
        assert actions.appointments_release(now=timezone.now(), told=told) == []
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.CANCELLED
    assert risky.cancellation_reason == actions.RELEASE_REASON
    assert risky.cancelled_by is None
    offer = Offer.objects.get()
    assert (offer.entry.client, offer.start) == (other_client_user, at(14, 10))


def test_a_confirmed_untold_or_low_risk_appointment_is_not_released(
    risky, releasing, committed, time_machine, clinic_provider, service, other_client_user
):
    with committed():
        untold = appointment_book(
            client=other_client_user,
            provider=clinic_provider,
            service=service,
            start=at(14, 11),
        )
        low = appointment_book(
            client=UserFactory(role="client"),
            provider=clinic_provider,
            service=service,
            start=at(14, 12),
        )
    high_risk(untold)
    RiskScore.objects.update_or_create(
        appointment=low, defaults={"probability": 0.05, "level": RiskLevel.LOW}
    )
    with committed():
        actions.attendance_coming(appointment=risky)
    time_machine.move_to(at(13, 12), tick=False)
    told = {risky.pk: at(13, 10), low.pk: at(13, 12)}
    assert actions.appointments_release(now=timezone.now(), told=told) == []
    assert {a.pk for a in actions.releases_due(now=timezone.now())} == {untold.pk}
    for appointment, status in (
        (risky, AppointmentStatus.CONFIRMED),
        (untold, AppointmentStatus.BOOKED),
        (low, AppointmentStatus.BOOKED),
    ):
        appointment.refresh_from_db()
        assert appointment.status == status


# --- standby places ----------------------------------------------------------------------------


def test_a_short_notice_client_gets_the_standby_place_and_is_offered_the_time_first(
    risky, committed, service, time_machine
):
    # Waiting longer and urgent, but not at short notice: the standby client still goes first.
    keen = UserFactory(role="client")
    join(keen, service, committed, urgency=Urgency.SOON)
    standby_client = UserFactory(role="client")
    time_machine.move_to(at(12, 9), tick=False)
    entry = join(standby_client, service, committed, short_notice=True)

    with committed():
        assert actions.standby_places_give(now=timezone.now()) == 0  # 49 h ahead: not yet
    time_machine.move_to(at(12, 10, 30), tick=False)
    with committed():
        assert actions.standby_places_give(now=timezone.now()) == 1
        assert actions.standby_places_give(now=timezone.now()) == 0
    place = StandbyPlace.objects.get()
    assert (place.entry, place.appointment, place.status) == (
        entry,
        risky,
        StandbyStatus.WAITING,
    )

    with committed():
        actions.attendance_cannot_come(appointment=risky)
    offer = Offer.objects.get(status=OfferStatus.PENDING)
    assert offer.entry == entry
    assert offer.start == at(14, 10)
    place.refresh_from_db()
    assert (place.status, place.offer) == (StandbyStatus.OFFERED, offer)
    assert not Offer.objects.filter(entry__client=keen).exists()


def test_no_standby_place_without_a_short_notice_client_or_with_the_policy_off(
    risky, committed, service, policy, time_machine
):
    join(UserFactory(role="client"), service, committed)
    time_machine.move_to(at(12, 10, 30), tick=False)
    assert actions.standby_places_give(now=timezone.now()) == 0
    join(UserFactory(role="client"), service, committed, short_notice=True)
    policy.standby_places = False
    policy.save()
    assert actions.standby_places_give(now=timezone.now()) == 0
    assert not StandbyPlace.objects.exists()


def test_a_standby_place_ends_when_its_appointment_goes_ahead(
    risky, committed, service, time_machine
):
    join(UserFactory(role="client"), service, committed, short_notice=True)
    time_machine.move_to(at(12, 10, 30), tick=False)
    with committed():
        actions.standby_places_give(now=timezone.now())
    time_machine.move_to(risky.start, tick=False)
    actions.standby_places_give(now=timezone.now())
    place = StandbyPlace.objects.get()
    assert (place.status, place.ended_at) == (StandbyStatus.ENDED, risky.start)


def test_staff_edit_the_policies_in_their_own_section_of_the_policy_admin(client, admin_user):
    client.force_login(admin_user)
    url = f"/admin/scheduling/bookingpolicy/{BookingPolicy.load().pk}/change/"
    page = client.get(url).content.decode()
    assert "Acting on no-show risk" in page
    for name in ("extra_reminder_hours_before", "confirm_or_release", "standby_places"):
        assert f'name="{name}"' in page
