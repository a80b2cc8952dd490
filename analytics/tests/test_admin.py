"""The staff dashboard pages in the admin: rendering, access, CSV, conflicts, reschedule,
bulk cancel with a reason."""

import csv
import io
from datetime import time

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from analytics.tests.support import at
from providers.models import WorkingHours
from scheduling.models import Appointment, AppointmentChange
from scheduling.tests.factories import AppointmentFactory

WEEK = {"start": "2026-03-02", "end": "2026-03-08", "tz": "UTC"}
CONFLICTS = "/admin/analytics/conflicts"


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def non_staff(client, client_user):
    client.force_login(client_user)
    return client


@pytest.fixture
def upcoming(clinic):
    """Wed 18 March 15:00 with A (fits 09-17 now), and B's Thu 19 March 10:00 (fits 09-13)."""
    late = AppointmentFactory(
        client=clinic["ann"], provider=clinic["a"], service=clinic["short"], start=at(18, 15)
    )
    morning = AppointmentFactory(
        client=clinic["bob"], provider=clinic["b"], service=clinic["short"], start=at(19, 10)
    )
    return {"late": late, "morning": morning}


def pages(upcoming_appointment):
    return [
        "/admin/",
        "/admin/analytics/csv/bookings_per_day",
        CONFLICTS,
        f"/admin/analytics/appointments/{upcoming_appointment.pk}/reschedule",
    ]


def test_every_dashboard_page_refuses_non_staff_with_the_admin_login(non_staff, upcoming):
    for url in pages(upcoming["late"]):
        response = non_staff.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_every_dashboard_page_refuses_anonymous_with_the_admin_login(client, upcoming):
    for url in pages(upcoming["late"]):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_every_dashboard_page_renders_for_staff(staff, upcoming):
    for url in pages(upcoming["late"]):
        assert staff.get(url).status_code == 200, url


def test_dashboard_shows_the_weeks_figures_above_the_app_list(staff, clinic):
    response = staff.get("/admin/", WEEK)
    assert response.status_code == 200
    html = response.content.decode()
    cards = {card["label"]: card for card in response.context["analytics_cards"]}
    assert cards["Bookings"]["value"] == 6
    assert cards["Bookings"]["previous"] == 2
    assert cards["Bookings"]["change"] == "+4"
    assert cards["Cancellations"]["value"] == "2 (33.3%)"
    assert cards["No-shows"]["value"] == "1 (25.0%)"
    assert cards["Provider utilisation"]["value"] == "4.5%"  # 150 / 3360
    assert cards["Booked from a recommendation"]["value"] == "2 (33.3%)"
    assert cards["Top recommendation picked"]["value"] == "n/a"
    assert cards["New clients"]["value"] == 2
    assert "vendor/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert 'id="analytics-data"' in html
    assert "/admin/analytics/csv/heatmap?" in html
    # The app list is still there, below the dashboard.
    assert html.index("analytics-dashboard") < html.index('id="content-main"')
    assert "/admin/scheduling/appointment/" in html


def test_dashboard_defaults_to_the_staff_users_zone(staff, admin_user, clinic):
    admin_user.timezone = "Europe/Helsinki"
    admin_user.save()
    response = staff.get("/admin/")
    assert response.context["analytics_query"].tz == "Europe/Helsinki"


def test_dashboard_shows_form_errors_for_bad_filters(staff, clinic):
    response = staff.get("/admin/", {"start": "2026-03-08", "end": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["analytics_form"].errors["end"]
    assert "analytics_cards" not in response.context


def test_csv_download_of_bookings_per_day(staff, clinic):
    response = staff.get("/admin/analytics/csv/bookings_per_day", WEEK)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "bookings_per_day_2026-03-02_2026-03-08.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["bookings"] for row in rows] == ["2", "2", "0", "1", "1", "0", "0"]
    assert rows[0]["date"] == "2026-03-02"


@pytest.mark.parametrize("chart", ["heatmap", "utilisation", "services", "forecast"])
def test_every_chart_downloads_as_csv(staff, clinic, chart):
    response = staff.get(f"/admin/analytics/csv/{chart}", WEEK)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows, chart


def test_csv_filtered_by_provider(staff, clinic):
    response = staff.get("/admin/analytics/csv/utilisation", {**WEEK, "provider": clinic["b"].id})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["provider"] for row in rows] == ["B Brown"]
    assert float(rows[0]["utilisation"]) == pytest.approx(0.05)


def test_csv_bad_parameter_is_400_naming_it_and_unknown_chart_404(staff, clinic):
    response = staff.get("/admin/analytics/csv/services", {"provider": "nope"})
    assert response.status_code == 400
    assert "provider" in response.json()["errors"]
    assert staff.get("/admin/analytics/csv/nothing").status_code == 404


def test_no_conflicts_while_appointments_fit(staff, upcoming):
    response = staff.get(CONFLICTS)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "No conflicts" in response.content.decode()


def test_conflicts_page_lists_appointment_after_hours_shrink_with_suggestions(
    staff, clinic, upcoming
):
    WorkingHours.objects.filter(provider=clinic["a"], weekday=2).update(end_time=time(13))
    response = staff.get(CONFLICTS)
    rows = response.context["rows"]
    assert [row.appointment.pk for row in rows] == [upcoming["late"].pk]
    assert rows[0].reason == "outside working hours"
    suggestions = rows[0].suggestions
    assert 1 <= len(suggestions) <= 3
    assert all(slot.provider_id == clinic["a"].pk for slot in suggestions)
    assert f"/admin/analytics/conflicts/{upcoming['late'].pk}/move" in response.content.decode()


def test_one_click_move_goes_through_the_booking_service(staff, admin_user, clinic, upcoming):
    WorkingHours.objects.filter(provider=clinic["a"], weekday=2).update(end_time=time(13))
    target = at(18, 12, 30)  # Wed 12:30-13:00, inside the new hours
    response = staff.post(
        f"/admin/analytics/conflicts/{upcoming['late'].pk}/move", {"start": target.isoformat()}
    )
    assert response.status_code == 302
    moved = Appointment.objects.get(pk=upcoming["late"].pk)
    assert moved.start == target
    assert moved.sequence == 1
    change = AppointmentChange.objects.get(appointment=moved)
    assert change.changed_by == admin_user
    assert staff.get(CONFLICTS).context["rows"] == []


def test_one_click_move_to_a_bad_time_keeps_the_appointment(staff, clinic, upcoming):
    WorkingHours.objects.filter(provider=clinic["a"], weekday=2).update(end_time=time(13))
    response = staff.post(
        f"/admin/analytics/conflicts/{upcoming['late'].pk}/move",
        {"start": at(18, 16).isoformat()},  # still outside the hours
        follow=True,
    )
    assert "not moved" in response.content.decode()
    assert Appointment.objects.get(pk=upcoming["late"].pk).start == at(18, 15)


def test_staff_pages_follow_the_one_definition_of_staff(client, upcoming):
    # A role-admin without superuser status or Django permissions is staff...
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    assert client.get(CONFLICTS).status_code == 200
    # ...a client with the admin flag set by hand is not.
    client.force_login(UserFactory(role=Role.CLIENT, is_staff=True))
    assert client.get(CONFLICTS).status_code != 200


def test_reschedule_form_offers_the_providers_open_slots(staff, clinic, upcoming):
    response = staff.get(
        f"/admin/analytics/appointments/{upcoming['morning'].pk}/reschedule", {"from": "2026-03-19"}
    )
    assert response.status_code == 200
    offered = [slot.start for _, slots in response.context["days"] for slot in slots]
    assert at(19, 9) in offered  # B's Thursday starts at 09:00
    assert at(19, 10) not in offered  # its own time is not "open"
    assert all(9 <= slot.hour < 13 for slot in offered)  # B works 09-13


def test_reschedule_form_moves_to_a_free_slot(staff, clinic, upcoming):
    url = f"/admin/analytics/appointments/{upcoming['morning'].pk}/reschedule"
    response = staff.post(url, {"new_start": at(19, 11).isoformat(), "reason": "Dentist ill"})
    assert response.status_code == 302
    moved = Appointment.objects.get(pk=upcoming["morning"].pk)
    assert moved.start == at(19, 11)
    assert AppointmentChange.objects.get(appointment=moved).reason == "Dentist ill"


def test_reschedule_form_refuses_a_taken_slot(staff, clinic, upcoming):
    taken = AppointmentFactory(
        client=clinic["ann"], provider=clinic["b"], service=clinic["short"], start=at(19, 11)
    )
    url = f"/admin/analytics/appointments/{upcoming['morning'].pk}/reschedule"
    response = staff.post(url, {"new_start": taken.start.isoformat()})
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    assert Appointment.objects.get(pk=upcoming["morning"].pk).start == at(19, 10)
    assert not AppointmentChange.objects.exists()


def test_reschedule_form_rejects_a_malformed_time(staff, upcoming):
    url = f"/admin/analytics/appointments/{upcoming['morning'].pk}/reschedule"
    response = staff.post(url, {"new_start": "tomorrow-ish"})
    assert response.status_code == 400
    assert response.context["form"].errors["new_start"]


def test_appointment_admin_links_to_the_reschedule_form(staff, upcoming):
    change_page = staff.get(f"/admin/scheduling/appointment/{upcoming['late'].pk}/change/")
    assert f"/admin/analytics/appointments/{upcoming['late'].pk}/reschedule" in (
        change_page.content.decode()
    )
    changelist = staff.get("/admin/scheduling/appointment/")
    assert "Reschedule" in changelist.content.decode()


def test_bulk_cancel_asks_for_a_reason_then_cancels_through_the_service(
    staff, admin_user, upcoming
):
    ids = [upcoming["late"].pk, upcoming["morning"].pk]
    changelist = "/admin/scheduling/appointment/"
    ask = staff.post(changelist, {"action": "cancel_with_reason", "_selected_action": ids})
    assert ask.status_code == 200
    assert "Cancel these appointments" in ask.content.decode()
    assert not Appointment.objects.filter(status="cancelled", pk__in=ids).exists()

    no_reason = staff.post(
        changelist,
        {"action": "cancel_with_reason", "_selected_action": ids, "apply": "yes", "reason": ""},
    )
    assert no_reason.status_code == 200  # the form again, with its error
    assert not Appointment.objects.filter(status="cancelled", pk__in=ids).exists()

    done = staff.post(
        changelist,
        {
            "action": "cancel_with_reason",
            "_selected_action": ids,
            "apply": "yes",
            "reason": "Clinic closed for repairs",
        },
    )
    assert done.status_code == 302
    for appointment in Appointment.objects.filter(pk__in=ids):
        assert appointment.status == "cancelled"
        assert appointment.cancellation_reason == "Clinic closed for repairs"
        assert appointment.cancelled_by == admin_user


def test_provider_change_page_shows_utilisation_of_the_last_30_days(staff, clinic):
    response = staff.get(f"/admin/providers/provider/{clinic['a'].pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="provider-utilisation"' in html
    # Sat 14 Feb 12:00 to Mon 16 March 12:00 UTC: A works 20 full weekdays (9600 minutes) plus
    # 09:00-12:00 today (180), minus 240 of time off = 9540; booked 30 + 30 + 60 = 120.
    assert f"{120 / 9540 * 100:.1f}%" == "1.3%"
    assert "<strong>1.3%</strong>" in html


def test_chart_library_and_script_are_served_from_our_static_files():
    from django.contrib.staticfiles import finders

    library = finders.find("vendor/chart.umd.min.js")
    assert library
    with open(library, encoding="utf-8") as pinned:
        assert "Chart.js v4" in pinned.read(200)
    assert finders.find("js/dashboard.js")
