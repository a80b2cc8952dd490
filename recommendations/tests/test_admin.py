import pytest
from django.test import Client

from recommendations.models import ModelVersion, SchedulerSettings


@pytest.fixture
def staff_browser(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    return browser


def test_model_versions_list_shows_metrics_and_actions_switch_the_active_one(staff_browser):
    v1 = ModelVersion.objects.create(
        version=1, artifact_path="v1.joblib", promoted=True, metrics={"mrr": 0.41}
    )
    v2 = ModelVersion.objects.create(
        version=2, artifact_path="v2.joblib", promoted=True, is_active=True, metrics={"mrr": 0.52}
    )
    page = staff_browser.get("/admin/recommendations/modelversion/")
    assert page.status_code == 200
    assert b"0.52" in page.content
    staff_browser.post(
        "/admin/recommendations/modelversion/",
        {"action": "roll_back", "_selected_action": [v2.pk]},
    )
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.is_active, v2.is_active) == (True, False)
    staff_browser.post(
        "/admin/recommendations/modelversion/",
        {"action": "activate", "_selected_action": [v2.pk]},
    )
    v2.refresh_from_db()
    assert v2.is_active


def test_scheduler_settings_are_editable(staff_browser):
    row = SchedulerSettings.load()
    page = staff_browser.get(f"/admin/recommendations/schedulersettings/{row.pk}/change/")
    assert page.status_code == 200
    assert b"weight_adjacency" in page.content


def test_recommendation_logs_are_read_only(staff_browser, client_user, service):
    from django.utils import timezone

    from recommendations.models import RecommendationLog

    log = RecommendationLog.objects.create(
        client=client_user,
        service=service,
        window_start=timezone.now(),
        window_end=timezone.now(),
        ranker="rules",
    )
    page = staff_browser.get(f"/admin/recommendations/recommendationlog/{log.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
