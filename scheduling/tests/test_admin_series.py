"""The series in the admin: the policy's series settings, the series and its occurrences,
and the cancel action going through `scheduling.series`."""

from datetime import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scheduling import series as series_services
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
from scheduling.recurrence import Frequency, Recurrence
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def booked(client_user, clinic_provider, service):
    return series_services.series_book(
        client=client_user,
        provider=clinic_provider,
        service=service,
        first_start=at(13, 10),
        rule=Recurrence(Frequency.WEEKLY, count=3),
        actor=client_user,
    )


def test_policy_page_edits_the_series_settings(staff_client, service):
    BookingPolicy.load()
    url = reverse("admin:scheduling_bookingpolicy_change", args=[1])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"Recurring series" in page.content
    assert b"series_excluded_services" in page.content


def test_series_pages_show_the_occurrences(staff_client, booked):
    listing = staff_client.get(reverse("admin:scheduling_appointmentseries_changelist"))
    assert listing.status_code == 200
    page = staff_client.get(
        reverse("admin:scheduling_appointmentseries_change", args=[booked.series.pk])
    )
    assert page.status_code == 200
    assert page.content.count(b"scheduling/appointment/") >= 3  # a link to each occurrence


def test_cancel_action_cancels_what_is_still_to_come(staff_client, booked, time_machine):
    # The first occurrence has happened (completed); the two later ones are cancelled.
    first = booked.appointments[0]
    time_machine.move_to(datetime.fromisoformat("2026-01-13T12:00:00+00:00"), tick=False)
    Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.COMPLETED)
    response = staff_client.post(
        reverse("admin:scheduling_appointmentseries_changelist"),
        {"action": "cancel_upcoming", "_selected_action": [booked.series.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 series cancelled." in [str(m) for m in get_messages(response.wsgi_request)]
    statuses = list(booked.series.occurrences.order_by("start").values_list("status", flat=True))
    assert statuses == ["completed", "cancelled", "cancelled"]
