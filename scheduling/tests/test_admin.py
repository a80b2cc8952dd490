"""The scheduling admin: actions go through the services and report refusals."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def appointments(client_user, other_client_user, clinic_provider, service):
    return [
        appointment_book(client=user, provider=clinic_provider, service=service, start=start)
        for user, start in ((client_user, at(12, 16)), (other_client_user, at(13, 10)))
    ]


def run_action(staff_client, action: str, appointments, **data) -> list[str]:
    response = staff_client.post(
        reverse("admin:scheduling_appointment_changelist"),
        {"action": action, "_selected_action": [a.pk for a in appointments], **data},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_cancel_action_overrides_the_cutoff_through_the_service(staff_client, appointments):
    messages = run_action(
        staff_client, "cancel_with_reason", appointments, apply="yes", reason="Closed"
    )
    assert "2 appointment(s) cancelled: Closed." in messages
    cancelled = Appointment.objects.filter(status=AppointmentStatus.CANCELLED)
    assert cancelled.count() == 2
    assert all(a.cancelled_by.is_staff_member for a in cancelled)
    assert {a.cancellation_reason for a in cancelled} == {"Closed"}


def test_the_appointment_admin_has_one_cancel_action(staff_client, appointments):
    changelist = staff_client.get(reverse("admin:scheduling_appointment_changelist"))
    actions = [name for name, _ in changelist.context["action_form"].fields["action"].choices]
    assert [name for name in actions if "cancel" in name] == ["cancel_with_reason"]


def test_complete_action_reports_refusals(staff_client, appointments):
    messages = run_action(staff_client, "mark_completed", appointments)
    assert any("before it starts" in message for message in messages)
    assert not Appointment.objects.filter(status=AppointmentStatus.COMPLETED).exists()


def test_changelist_searches_by_client_email(staff_client, appointments, client_user):
    response = staff_client.get(
        reverse("admin:scheduling_appointment_changelist"), {"q": client_user.email}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_change_page_shows_history_and_readonly_times(staff_client, appointments):
    response = staff_client.get(
        reverse("admin:scheduling_appointment_change", args=[appointments[0].pk])
    )
    assert response.status_code == 200
    assert b"blocked_start" in response.content or b"Blocked start" in response.content


def test_the_booking_policy_is_a_single_row(staff_client):
    BookingPolicy.load()
    add = staff_client.get(reverse("admin:scheduling_bookingpolicy_add"))
    assert add.status_code == 403
    delete = staff_client.get(reverse("admin:scheduling_bookingpolicy_delete", args=[1]))
    assert delete.status_code == 403
    assert (
        staff_client.get(reverse("admin:scheduling_bookingpolicy_change", args=[1])).status_code
        == 200
    )
