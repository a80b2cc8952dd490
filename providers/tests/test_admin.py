from datetime import time

import pytest

from providers.models import WorkingHours
from providers.tests.factories import ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_provider_changelist_shows_name_zone_state_and_service_count(staff):
    ProviderFactory(display_name="Dr. Listed", services=ServiceFactory.create_batch(3))
    response = staff.get("/admin/providers/provider/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dr. Listed" in html
    assert "Europe/London" in html
    assert 'class="field-services_count">3<' in html


def test_provider_changelist_search_and_filter(staff):
    ProviderFactory(display_name="Dr. Findable")
    ProviderFactory(display_name="Dr. Hidden", is_active=False)
    found = staff.get("/admin/providers/provider/", {"q": "findable"}).content.decode()
    assert "Dr. Findable" in found and "Dr. Hidden" not in found
    inactive = staff.get("/admin/providers/provider/", {"is_active__exact": "0"})
    assert "Dr. Hidden" in inactive.content.decode()
    assert "Dr. Findable" not in inactive.content.decode()


def test_provider_change_form_has_working_hours_and_time_off_inlines(staff):
    provider = ProviderFactory(hours=[(time(9), time(12)), (time(13), time(17))])
    response = staff.get(f"/admin/providers/provider/{provider.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="working_hours-group"' in html
    assert 'id="time_off-group"' in html
    assert 'name="working_hours-TOTAL_FORMS" value="10"' in html.replace("\n", "")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/providers/service/",
        "/admin/providers/service/add/",
        "/admin/providers/servicecategory/",
        "/admin/providers/provider/add/",
    ],
)
def test_other_admin_pages_render_for_staff(staff, url):
    ServiceFactory(name="Sports massage")
    response = staff.get(url)
    assert response.status_code == 200
    if url == "/admin/providers/service/":
        assert "Sports massage" in response.content.decode()


def test_service_changelist_filters_by_category(staff):
    kept = ServiceFactory(name="Kept")
    ServiceFactory(name="Elsewhere")
    response = staff.get("/admin/providers/service/", {"category__id__exact": kept.category_id})
    html = response.content.decode()
    assert "Kept" in html and "Elsewhere" not in html


def test_admin_pages_are_refused_to_clients(client, client_user):
    client.force_login(client_user)
    response = client.get("/admin/providers/provider/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _change_form_data(provider, intervals):
    data = {
        "user": provider.user_id,
        "display_name": provider.display_name,
        "bio": "",
        "is_active": "on",
        "timezone": provider.timezone,
        "country": "",
        "subdivision": "",
        "daily_cap": "",
        "working_hours-TOTAL_FORMS": str(len(intervals)),
        "working_hours-INITIAL_FORMS": "0",
        "working_hours-MIN_NUM_FORMS": "0",
        "working_hours-MAX_NUM_FORMS": "1000",
        "time_off-TOTAL_FORMS": "0",
        "time_off-INITIAL_FORMS": "0",
        "time_off-MIN_NUM_FORMS": "0",
        "time_off-MAX_NUM_FORMS": "1000",
    }
    for index, (weekday, start, end) in enumerate(intervals):
        data[f"working_hours-{index}-weekday"] = str(weekday)
        data[f"working_hours-{index}-start_time"] = start
        data[f"working_hours-{index}-end_time"] = end
    return data


def test_overlapping_hours_are_refused_with_a_readable_message(staff):
    provider = ProviderFactory(hours=[])
    data = _change_form_data(provider, [(0, "09:00", "13:00"), (0, "12:00", "17:00")])
    response = staff.post(f"/admin/providers/provider/{provider.pk}/change/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "12:00-17:00 overlaps 09:00-13:00 on Monday." in html
    assert "Working hours overlap on one day" in html
    assert WorkingHours.objects.filter(provider=provider).count() == 0


def test_end_before_start_is_refused_in_the_admin(staff):
    provider = ProviderFactory(hours=[])
    data = _change_form_data(provider, [(1, "17:00", "09:00")])
    response = staff.post(f"/admin/providers/provider/{provider.pk}/change/", data)
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert WorkingHours.objects.filter(provider=provider).count() == 0


def test_a_lunch_break_is_saved_from_the_admin(staff):
    provider = ProviderFactory(hours=[])
    data = _change_form_data(provider, [(0, "09:00", "12:30"), (0, "13:30", "17:00")])
    response = staff.post(f"/admin/providers/provider/{provider.pk}/change/", data)
    assert response.status_code == 302
    assert list(
        WorkingHours.objects.filter(provider=provider)
        .order_by("start_time")
        .values_list("start_time", "end_time")
    ) == [(time(9), time(12, 30)), (time(13, 30), time(17))]


def test_moving_intervals_is_judged_on_the_result_not_on_stale_rows(staff):
    provider = ProviderFactory(hours=[(time(9), time(12))])
    monday = WorkingHours.objects.get(provider=provider, weekday=0)
    others = list(WorkingHours.objects.filter(provider=provider).exclude(pk=monday.pk))
    intervals = [(0, "09:00", "10:00"), (0, "10:00", "11:30")]
    data = _change_form_data(provider, [])
    rows = [(monday.pk, *intervals[0])] + [
        (row.pk, row.weekday, "09:00", "12:00") for row in others
    ]
    data["working_hours-TOTAL_FORMS"] = str(len(rows) + 1)
    data["working_hours-INITIAL_FORMS"] = str(len(rows))
    for index, (pk, weekday, start, end) in enumerate(rows):
        data[f"working_hours-{index}-id"] = str(pk)
        data[f"working_hours-{index}-provider"] = str(provider.pk)
        data[f"working_hours-{index}-weekday"] = str(weekday)
        data[f"working_hours-{index}-start_time"] = start
        data[f"working_hours-{index}-end_time"] = end
    new = len(rows)
    data[f"working_hours-{new}-weekday"] = "0"
    data[f"working_hours-{new}-start_time"] = intervals[1][1]
    data[f"working_hours-{new}-end_time"] = intervals[1][2]

    response = staff.post(f"/admin/providers/provider/{provider.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(
        WorkingHours.objects.filter(provider=provider, weekday=0)
        .order_by("start_time")
        .values_list("start_time", "end_time")
    ) == [(time(9), time(10)), (time(10), time(11, 30))]


def test_hide_action_removes_providers_from_the_public_list(staff, api_client):
    shown, hidden = ProviderFactory(display_name="Dr. Shown"), ProviderFactory()
    response = staff.post(
        "/admin/providers/provider/",
        {"action": "deactivate", "_selected_action": [hidden.pk]},
    )
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.is_active is False
    listed = api_client.get("/api/providers").json()["results"]
    assert [p["id"] for p in listed] == [shown.pk]


def test_stop_offering_action_deactivates_services(staff):
    service = ServiceFactory()
    staff.post(
        "/admin/providers/service/", {"action": "deactivate", "_selected_action": [service.pk]}
    )
    service.refresh_from_db()
    assert service.is_active is False
