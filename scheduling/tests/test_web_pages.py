"""The client and provider web pages: who may see each page, and what it shows."""

import re
from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from providers.models import TimeOff
from providers.tests.factories import ProviderFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at

CLIENT_PAGES = [
    "/book",
    "/appointments",
    "/notifications",
    "/profile",
]


def _book(*, client, provider, service, start, notes: str = "") -> Appointment:
    return appointment_book(
        client=client,
        provider=provider,
        service=service,
        start=start,
        client_notes=notes,
        actor=client,
    )


@pytest.fixture
def booked(frozen_now, client_user, clinic_provider, service) -> Appointment:
    # Tuesday 13 January 2026, 10:00 London (GMT).
    return _book(
        client=client_user,
        provider=clinic_provider,
        service=service,
        start=at(13, 10),
        notes="Left knee hurts on stairs",
    )


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    # The booking page is open to visitors (web/tests/test_visitor_book_page.py).
    "path",
    [*(path for path in CLIENT_PAGES if path != "/book"), "/schedule", "/appointments/1"],
)
def test_pages_redirect_anonymous_visitors_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


@pytest.mark.django_db
@pytest.mark.parametrize("path", CLIENT_PAGES)
def test_client_pages_open_for_a_signed_in_client(client, client_user, path):
    client.force_login(client_user)

    response = client.get(path)

    assert response.status_code == 200
    assert b"<h1>" in response.content
    assert f"<title>{response.context['page_title']} · SmartBook</title>" in (
        response.content.decode()
    )


def test_schedule_answers_403_page_to_a_client(client, client_user):
    client.force_login(client_user)

    response = client.get("/schedule")

    assert response.status_code == 403
    assert b"This page is for providers" in response.content


def test_schedule_answers_403_page_to_staff_without_provider_role(client, admin_user):
    client.force_login(admin_user)

    assert client.get("/schedule").status_code == 403


def test_another_clients_appointment_page_answers_404(client, other_client_user, booked):
    client.force_login(other_client_user)

    assert client.get(f"/appointments/{booked.pk}").status_code == 404
    assert client.get(f"/appointments/{booked.pk}/reschedule").status_code == 404


def test_appointment_page_opens_for_its_client_its_provider_and_staff(client, booked, admin_user):
    for viewer in (booked.client, booked.provider.user, admin_user):
        client.force_login(viewer)
        response = client.get(f"/appointments/{booked.pk}")
        assert response.status_code == 200, viewer
        assert booked.service.name in response.content.decode()


def test_another_providers_user_gets_404_for_the_appointment(client, booked, service):
    stranger = ProviderFactory(services=[service])
    client.force_login(stranger.user)

    assert client.get(f"/appointments/{booked.pk}").status_code == 404


def test_unknown_appointment_answers_404(client, client_user):
    client.force_login(client_user)

    assert client.get("/appointments/999999").status_code == 404


# --- content ----------------------------------------------------------------------------------


def test_my_appointments_is_empty_with_a_call_to_book(client, client_user):
    client.force_login(client_user)

    page = client.get("/appointments").content.decode()

    assert "No appointments yet — " in page
    assert 'href="/book"' in page


def test_my_appointments_lists_upcoming_in_the_viewers_zone_with_actions(
    client, booked, client_user
):
    client_user.timezone = "America/New_York"
    client_user.save(update_fields=["timezone"])
    client.force_login(client_user)

    page = client.get("/appointments").content.decode()

    # 10:00 in London (GMT) is 05:00 in New York (EST), and the zone is named.
    assert "Tuesday 13 January 2026, 05:00" in page
    assert "America/New_York" in page
    assert f'href="/appointments/{booked.pk}/reschedule"' in page
    assert f'href="/appointments/{booked.pk}/ics"' in page
    assert "Booked" in page


def test_my_appointments_moves_cancelled_ones_to_past_with_the_reason(client, booked, client_user):
    appointment_cancel(appointment=booked, actor=client_user, reason="Feeling better")
    client.force_login(client_user)

    response = client.get("/appointments")

    assert response.context["upcoming"] == []
    assert [a.pk for a in response.context["past"]] == [booked.pk]
    assert "Cancelled: Feeling better" in response.content.decode()


def test_my_appointments_shows_the_personal_calendar_feed(client, client_user):
    from notifications.models import CalendarFeed

    feed = CalendarFeed.objects.create(user=client_user)
    client.force_login(client_user)

    page = client.get("/appointments").content.decode()

    assert f"/calendar/{feed.token}.ics" in page


def test_appointment_page_explains_the_cutoff_once_it_has_passed(
    client, client_user, clinic_provider, service
):
    import time_machine

    with time_machine.travel(datetime(2026, 1, 12, 8, 0, tzinfo=UTC), tick=False):
        appointment = _book(
            client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
        )
    client.force_login(client_user)

    with time_machine.travel(datetime(2026, 1, 13, 0, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/appointments/{appointment.pk}").content.decode()

    assert 'id="cutoff-note"' in page
    assert "starts in less than 24 hours, so it can no longer be changed or cancelled" in page
    # How to reach the provider instead, not a dead end.
    assert f'href="mailto:{clinic_provider.user.email}"' in page
    assert 'id="cancel-form"' not in page
    assert 'id="reschedule-link"' not in page


def test_appointment_page_offers_reschedule_and_cancel_before_the_cutoff(
    client, booked, client_user
):
    client.force_login(client_user)

    page = client.get(f"/appointments/{booked.pk}").content.decode()

    assert 'id="cutoff-note"' not in page
    assert 'id="reschedule-link"' in page
    assert '<label for="reason">Reason for cancelling</label>' in page


def test_book_page_lists_services_by_category_and_names_the_zone(
    client, client_user, clinic_provider, service
):
    client.force_login(client_user)

    page = client.get(f"/book?service={service.pk}").content.decode()

    assert f'<optgroup label="{service.category.name}">' in page
    assert f'<option value="{service.pk}" data-duration="30" ' in page
    assert re.search(rf'<option value="{service.pk}" data-duration="30" [^>]*selected>', page)
    assert clinic_provider.display_name in page
    assert "Times are shown in <strong data-zone-label>Europe/London</strong>" in page
    assert '<select id="zone-switch">' in page  # and the page can show them in another
    for field in ("service", "provider", "urgency", "client_notes"):
        assert f'<label for="{field}">' in page


def test_reschedule_page_fixes_the_service_and_provider(client, booked, client_user):
    client.force_login(client_user)

    page = client.get(f"/appointments/{booked.pk}/reschedule").content.decode()

    assert 'data-mode="reschedule"' in page
    assert f'data-appointment-id="{booked.pk}"' in page
    assert (
        '<select id="service" name="service" required aria-describedby="service-error" disabled>'
        in (page)
    )


def test_schedule_week_shows_appointments_with_client_service_notes_and_free_time(client, booked):
    provider_user = booked.provider.user
    client.force_login(provider_user)

    response = client.get("/schedule?view=week&date=2026-01-14")
    page = response.content.decode()

    assert response.status_code == 200
    assert [c["date"].isoformat() for c in response.context["columns"]][0] == "2026-01-12"
    assert len(response.context["columns"]) == 7
    assert booked.client.get_full_name() in page
    assert booked.service.name in page
    assert "Left knee hurts on stairs" in page
    tuesday = response.context["columns"][1]
    assert [
        (b.start.astimezone(UTC).hour, b.end.astimezone(UTC).hour) for b in tuesday["free"]
    ] == [
        (9, 10),
        (10, 17),
    ]
    assert "Free 09:00–10:00" in page
    assert "Free 10:30–17:00" in page
    # Saturday and Sunday: no hours.
    assert response.context["columns"][5]["free"] == []
    assert "Not working" in page


def test_schedule_day_view_leaves_out_time_off_and_lists_hours_read_only(client, booked):
    provider = booked.provider
    TimeOff.objects.create(provider=provider, start=at(13, 14), end=at(13, 17), reason="Course")
    client.force_login(provider.user)

    response = client.get("/schedule?view=day&date=2026-01-13")
    page = response.content.decode()

    assert len(response.context["columns"]) == 1
    assert "Free 10:30–14:00" in page
    assert "Free 10:30–17:00" not in page
    assert "Working hours" in page
    assert "Monday" in page and "09:00" in page and "17:00" in page
    assert "Course" in page


def test_schedule_offers_outcome_buttons_only_once_an_appointment_started(
    client, booked, time_machine
):
    client.force_login(booked.provider.user)

    before = client.get("/schedule?view=day&date=2026-01-13").content.decode()
    time_machine.move_to(datetime(2026, 1, 13, 10, 5, tzinfo=UTC), tick=False)
    after = client.get("/schedule?view=day&date=2026-01-13").content.decode()

    assert 'data-outcome="complete"' not in before
    assert f'data-outcome="complete" data-appointment-id="{booked.pk}"' in after
    assert f'data-outcome="no-show" data-appointment-id="{booked.pk}"' in after


def test_schedule_shows_cancelled_appointments_without_counting_them_busy(
    client, booked, client_user
):
    appointment_cancel(appointment=booked, actor=client_user, reason="")
    client.force_login(booked.provider.user)

    page = client.get("/schedule?view=day&date=2026-01-13").content.decode()

    assert "status-cancelled" in page
    assert "Free 09:00–17:00" in page


def test_schedule_ignores_a_malformed_date(client, provider, frozen_now):
    client.force_login(provider.user)

    response = client.get("/schedule?date=not-a-date")

    assert response.status_code == 200
    assert response.context["anchor"] == frozen_now.date()


def test_notifications_page_lists_only_own_with_unread_count(
    client, client_user, other_client_user
):
    from notifications.models import Notification

    Notification.objects.create(user=client_user, kind="booked", title="Booking confirmed")
    Notification.objects.create(
        user=client_user, kind="reminder", title="Old reminder", read_at=at(1, 9)
    )
    Notification.objects.create(user=other_client_user, kind="booked", title="Not yours")
    client.force_login(client_user)

    response = client.get("/notifications")
    page = response.content.decode()

    assert "Booking confirmed" in page
    assert "Old reminder" in page
    assert "Not yours" not in page
    assert "1 unread" in page


def test_notifications_page_has_an_empty_state(client, client_user):
    client.force_login(client_user)

    assert "No notifications yet" in client.get("/notifications").content.decode()


def test_profile_page_shows_current_values_with_labelled_fields(client, client_user):
    client_user.profile.preferred_weekdays = [1, 3]
    client_user.profile.preferred_times_of_day = ["morning"]
    client_user.profile.save()
    client.force_login(client_user)

    page = client.get("/profile").content.decode()

    for field in ("first_name", "last_name", "phone", "timezone"):
        assert f'<label for="{field}">' in page
        assert f'id="{field}-error"' in page
    # Reminders are a group of choices under one legend, with their error slot.
    assert 'id="reminder_lead_minutes-error"' in page
    assert '<legend class="sb-legend">When to remind me</legend>' in page
    assert 'name="preferred_weekdays" value="1" checked' in page
    assert 'name="preferred_weekdays" value="0" >' in page
    assert 'name="preferred_times_of_day" value="morning" checked' in page
    assert f'value="{client_user.timezone}"' in page


def test_pages_work_for_a_user_with_an_unknown_stored_zone(client, db):
    user = UserFactory()
    # Bypass validation: a zone removed from tzdata must not break the page.
    type(user).objects.filter(pk=user.pk).update(timezone="Mars/Olympus")
    client.force_login(user)

    page = client.get("/appointments").content.decode()

    assert "Times are shown in <strong>UTC</strong>" in page


def test_past_appointments_are_listed_with_their_status(client, booked, client_user):
    Appointment.objects.filter(pk=booked.pk).update(status=AppointmentStatus.COMPLETED)
    client.force_login(client_user)

    import time_machine

    with time_machine.travel(at(20, 9), tick=False):
        response = client.get("/appointments")

    assert response.context["upcoming"] == []
    assert "Completed" in response.content.decode()


def test_schedule_week_starts_on_monday_in_the_viewers_zone(client, provider):
    import time_machine

    client.force_login(provider.user)
    # Sunday 23:30 UTC is already Monday in Tokyo.
    provider.user.timezone = "Asia/Tokyo"
    provider.user.save(update_fields=["timezone"])
    with time_machine.travel(datetime(2026, 1, 18, 23, 30, tzinfo=UTC), tick=False):
        response = client.get("/schedule")

    assert response.context["columns"][0]["date"].isoformat() == "2026-01-19"
    assert response.context["columns"][0]["is_today"]


def test_home_lists_services_by_category_with_providers_and_a_book_link(
    client, clinic_provider, service
):
    page = client.get("/").content.decode()

    assert f"<h3>{service.category.name}</h3>" in page
    assert service.name in page
    assert clinic_provider.display_name in page
    assert f'href="/book?service={service.pk}"' in page


def test_nav_shows_the_unread_notification_count(client, client_user):
    from notifications.models import Notification

    Notification.objects.create(user=client_user, kind="booked", title="One")
    Notification.objects.create(user=client_user, kind="booked", title="Two")
    client.force_login(client_user)

    page = client.get("/appointments").content.decode()

    assert '<span class="nav-badge" data-unread-count>2</span>' in page


def test_nav_offers_admin_to_staff_and_schedule_to_providers(client, admin_user, provider):
    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get("/").content.decode()

    client.force_login(provider.user)
    page = client.get("/").content.decode()
    assert 'href="/schedule"' in page
    assert 'href="/admin/"' not in page


def test_schedule_free_time_starts_now_and_past_days_say_so(client, booked, time_machine):
    client.force_login(booked.provider.user)
    time_machine.move_to(datetime(2026, 1, 14, 12, 10, tzinfo=UTC), tick=False)

    response = client.get("/schedule?view=week&date=2026-01-14")
    monday, tuesday, wednesday = response.context["columns"][:3]
    page = response.content.decode()

    assert monday["entries"] == [] and monday["is_past"]
    assert [entry["kind"] for entry in tuesday["entries"]] == ["appointment"]
    assert [(b.start.hour, b.start.minute) for b in wednesday["free"]] == [(12, 10)]
    assert "Free 12:10–17:00" in page
    assert "Past" in page


def test_past_the_cutoff_the_list_and_reschedule_page_say_changes_are_closed(
    client, booked, client_user, time_machine
):
    client.force_login(client_user)
    time_machine.move_to(datetime(2026, 1, 13, 0, 0, tzinfo=UTC), tick=False)

    listing = client.get("/appointments").content.decode()
    reschedule = client.get(f"/appointments/{booked.pk}/reschedule").content.decode()

    assert "Too close to the start to change online" in listing
    assert f'href="/appointments/{booked.pk}/reschedule"' not in listing
    assert 'id="locked-note"' in reschedule
    assert f'href="mailto:{booked.provider.user.email}"' in reschedule
    assert f'href="mailto:{booked.provider.user.email}"' in listing
    assert 'data-locked="1"' in reschedule


def test_provider_marks_the_outcome_from_the_appointment_page_once_it_started(
    client, booked, time_machine
):
    client.force_login(booked.provider.user)

    before = client.get(f"/appointments/{booked.pk}").content.decode()
    time_machine.move_to(datetime(2026, 1, 13, 10, 5, tzinfo=UTC), tick=False)
    after = client.get(f"/appointments/{booked.pk}").content.decode()

    assert "Mark completed" not in before
    assert "Mark completed" in after and "Mark no-show" in after
    assert booked.client.get_full_name() in after


@pytest.mark.parametrize("query", ["date=9999-12-31", "date=0001-01-01", "date=2026-02-30"])
def test_schedule_falls_back_to_today_for_out_of_range_dates(client, provider, frozen_now, query):
    client.force_login(provider.user)

    response = client.get(f"/schedule?{query}")

    assert response.status_code == 200
    assert response.context["anchor"] == frozen_now.date()


@pytest.mark.parametrize("value", ["²", "abc", "-1", "99999999999999999999"])
def test_book_page_ignores_a_malformed_service_choice(client, client_user, value):
    client.force_login(client_user)

    response = client.get("/book", {"service": value})

    assert response.status_code == 200
    assert "selected>" not in response.content.decode().split('id="provider"')[0]


def test_schedule_closes_public_holidays_like_booking_does(client, provider, frozen_now):
    provider.country = "GB"
    provider.save(update_fields=["country"])
    client.force_login(provider.user)

    # Good Friday 2026 (3 April) is a bank holiday in England; Thursday 2 April is not.
    holiday = client.get("/schedule?view=day&date=2026-04-03").content.decode()
    workday = client.get("/schedule?view=day&date=2026-04-02").content.decode()

    assert "Not working" in holiday
    assert "Free 09:00–17:00" not in holiday
    assert "Free 09:00–17:00" in workday


def test_schedule_keeps_local_hours_across_the_clock_change(client, provider, frozen_now):
    client.force_login(provider.user)

    # Europe/London springs forward on Sunday 29 March 2026: Monday still opens at 09:00 local.
    page = client.get("/schedule?view=day&date=2026-03-30").content.decode()

    assert "Free 09:00–17:00" in page
