import logging
import uuid
from datetime import datetime, timedelta

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from accounts.tests.support import auth_client
from recommendations.engine import CLIENT_FEATURES, save_artifact
from recommendations.models import ModelVersion, RecommendationItem, RecommendationLog
from scheduling.models import Appointment
from scheduling.selectors import available_slots

URL = "/api/appointments/recommended"

pytestmark = pytest.mark.usefixtures("frozen_now")


def window(now, days=7):
    return {
        "start": (now + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "end": (now + timedelta(days=1 + days)).isoformat().replace("+00:00", "Z"),
    }


def recommend(api, service, now, **params):
    return api.get(URL, {"service": service.pk, **window(now), **params})


def test_recommended_returns_bookable_slots_with_scores_and_reasons(
    client_api, service, providers, frozen_now
):
    response = recommend(client_api, service, frozen_now)
    assert response.status_code == 200, response.json()
    body = response.json()
    results = body["results"]
    assert len(results) == 5
    bookable = {
        (s.provider_id, s.start)
        for s in available_slots(
            service=service,
            start=frozen_now + timedelta(days=1),
            end=frozen_now + timedelta(days=8),
        )
    }
    for rank, item in enumerate(results, start=1):
        assert item["rank"] == rank
        assert item["recommendation_id"] == body["recommendation_id"]
        start = RecommendationItem.objects.get(log_id=item["recommendation_id"], rank=rank).start
        assert (item["provider"]["id"], start) in bookable
        assert item["start"].endswith("Z")
        assert item["timezone"] == "Europe/London"
        assert item["local_start"].startswith(item["start"][:16].replace("Z", ""))
        assert item["reasons"]
        assert item["provider"]["name"]
    scores = [item["score"] for item in results]
    assert scores == sorted(scores, reverse=True)
    log = RecommendationLog.objects.get(pk=body["recommendation_id"])
    assert log.items.count() == 5
    assert log.ranker == "rules"


def test_limit_and_provider_narrow_the_results(client_api, service, providers, frozen_now):
    response = recommend(client_api, service, frozen_now, provider=providers[1].pk, limit=3)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    assert {item["provider"]["id"] for item in results} == {providers[1].pk}


def test_booking_the_top_recommendation_records_the_pick(
    client_api, client_user, service, providers, frozen_now
):
    body = recommend(client_api, service, frozen_now).json()
    top = body["results"][0]
    response = client_api.post(
        "/api/appointments",
        {
            "provider": top["provider"]["id"],
            "service": service.pk,
            "start": top["start"],
            "recommendation_id": body["recommendation_id"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get()
    log = RecommendationLog.objects.get(pk=body["recommendation_id"])
    assert log.picked_appointment == appointment
    assert log.picked_item.rank == 1
    assert appointment.source == "recommendation"
    assert appointment.client == client_user


def _book(api, service, item, recommendation_id):
    return api.post(
        "/api/appointments",
        {
            "provider": item["provider"]["id"],
            "service": service.pk,
            "start": item["start"],
            "recommendation_id": recommendation_id,
        },
        format="json",
    )


def test_another_clients_recommendation_id_is_refused_and_nothing_written(
    client_api, other_client_user, service, providers, frozen_now
):
    theirs = recommend(auth_client(other_client_user), service, frozen_now).json()
    response = _book(client_api, service, theirs["results"][0], theirs["recommendation_id"])
    assert response.status_code == 400
    assert "recommendation_id" in response.json()["errors"]
    assert not Appointment.objects.exists()
    assert RecommendationLog.objects.get(pk=theirs["recommendation_id"]).picked_item is None


def test_forged_recommendation_id_is_refused(client_api, service, providers, frozen_now):
    body = recommend(client_api, service, frozen_now).json()
    response = _book(client_api, service, body["results"][0], str(uuid.uuid4()))
    assert response.status_code == 400
    assert "recommendation_id" in response.json()["errors"]
    assert not Appointment.objects.exists()


def test_booking_a_slot_that_was_not_recommended_with_its_id_is_refused(
    client_api, service, providers, frozen_now
):
    body = recommend(client_api, service, frozen_now, limit=1).json()
    item = dict(body["results"][0])
    shown = RecommendationItem.objects.get(log_id=body["recommendation_id"])
    item["start"] = (shown.start + timedelta(days=1)).isoformat()
    response = _book(client_api, service, item, body["recommendation_id"])
    assert response.status_code == 400
    assert "recommendation_id" in response.json()["errors"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": 999999}, "service"),
        ({"service": ""}, "service"),
        ({"provider": 999999}, "provider"),
        ({"limit": 0}, "limit"),
        ({"limit": 21}, "limit"),
        ({"urgency": "whenever"}, "urgency"),
        ({"start": "2026-02-01T09:00:00Z", "end": "2026-02-08T09:00:00Z"}, "start"),
        ({"start": "2027-06-01T09:00:00Z", "end": "2027-06-08T09:00:00Z"}, "start"),
        ({"start": "2026-03-05T09:00:00Z", "end": "2026-03-04T09:00:00Z"}, "end"),
        ({"start": "2026-03-05T09:00:00"}, "start"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(
    client_api, service, providers, frozen_now, change, field
):
    params = {"service": service.pk, **window(frozen_now), **change}
    response = client_api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not RecommendationLog.objects.exists()


def test_provider_not_offering_the_service_is_400(client_api, service, providers, frozen_now):
    from providers.tests.factories import ProviderFactory

    stranger = ProviderFactory()
    response = recommend(client_api, service, frozen_now, provider=stranger.pk)
    assert response.status_code == 400
    # The booking service's own rule and wording (scheduling.rules.service_offered).
    assert response.json()["errors"] == {
        "service": [f"{stranger.display_name} does not offer {service.name}."]
    }


def test_anonymous_users_are_refused(api_client, service, providers, frozen_now):
    assert recommend(api_client, service, frozen_now).status_code == 401


def _install_model(artifact_dir, *, broken=False, training_size=500):
    path = artifact_dir / "recommender-v1.joblib"
    if broken:
        path.write_bytes(b"garbage")
    else:
        rng = np.random.default_rng(0)
        x = rng.random((100, len(CLIENT_FEATURES)))
        save_artifact(LogisticRegression().fit(x, (x[:, 0] > 0.5).astype(int)), path)
    return ModelVersion.objects.create(
        version=1,
        artifact_path=path.name,
        training_size=training_size,
        is_active=True,
        promoted=True,
    )


def test_an_active_trusted_model_reranks(client_api, service, providers, frozen_now, artifact_dir):
    version = _install_model(artifact_dir)
    body = recommend(client_api, service, frozen_now).json()
    assert body["ranker"] == "v1"
    assert RecommendationLog.objects.get(pk=body["recommendation_id"]).model_version == version
    # The response says what answered, and whether the list was explored.
    assert (body["model_version"], body["explored"]) == (1, False)


def test_the_response_says_when_the_list_was_explored(client_api, service, providers, frozen_now):
    from recommendations.models import SchedulerSettings

    settings_row = SchedulerSettings.load()
    settings_row.exploration_share = 1.0
    settings_row.exploration_noise = 0.2
    settings_row.save()
    body = recommend(client_api, service, frozen_now).json()
    assert (body["ranker"], body["model_version"], body["explored"]) == ("rules", None, True)
    assert RecommendationLog.objects.get(pk=body["recommendation_id"]).explored is True


def test_a_model_trained_on_too_few_picks_is_not_used(
    client_api, service, providers, frozen_now, artifact_dir
):
    _install_model(artifact_dir, training_size=10)
    assert recommend(client_api, service, frozen_now).json()["ranker"] == "rules"


def test_broken_model_artifact_falls_back_to_rules_and_logs_a_warning(
    client_api, service, providers, frozen_now, artifact_dir, caplog
):
    _install_model(artifact_dir, broken=True)
    with caplog.at_level(logging.WARNING):
        response = recommend(client_api, service, frozen_now)
    assert response.status_code == 200
    assert response.json()["ranker"] == "rules"
    assert len(response.json()["results"]) == 5
    assert "falling back to rules" in caplog.text


def test_missing_model_artifact_falls_back_to_rules(
    client_api, service, providers, frozen_now, artifact_dir, caplog
):
    version = _install_model(artifact_dir)
    version.artifact_file.unlink()
    with caplog.at_level(logging.WARNING):
        response = recommend(client_api, service, frozen_now)
    assert response.status_code == 200
    assert response.json()["ranker"] == "rules"
    assert "missing" in caplog.text


def test_schema_documents_the_endpoint(admin_api):
    response = admin_api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/appointments/recommended"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"service", "start", "end", "provider", "urgency", "limit"} <= names


def test_the_clients_limits_hold_through_the_api(
    client_api, client_user, service, providers, frozen_now
):
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    profile = client_user.profile
    profile.earliest_time, profile.latest_time = clock(12), clock(14)
    profile.avoided_weekdays = [1]  # never Tuesdays
    profile.save()
    response = recommend(client_api, service, frozen_now, limit=10)
    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    zone = ZoneInfo(client_user.timezone)
    for item in results:
        start = datetime.fromisoformat(item["start"]).astimezone(zone)
        end = datetime.fromisoformat(item["end"]).astimezone(zone)
        assert start.weekday() != 1 and clock(12) <= start.time() and end.time() <= clock(14)


def test_a_whole_month_may_be_asked_for_even_when_the_clocks_go_back():
    from zoneinfo import ZoneInfo

    from recommendations.services import _validate_window

    london = ZoneInfo("Europe/London")
    # As instants (a difference of two London wall times would ignore the clock change).
    october = datetime(2026, 10, 1, tzinfo=london).astimezone(ZoneInfo("UTC"))
    november = datetime(2026, 11, 1, tzinfo=london).astimezone(ZoneInfo("UTC"))
    assert november - october == timedelta(days=31, hours=1)  # the booking page's month
    now = datetime(2026, 9, 25, 12, tzinfo=london)
    assert _validate_window(start=october, end=november, limit=5, now=now) == october
