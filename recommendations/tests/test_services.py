from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from recommendations.models import ModelVersion
from recommendations.services import (
    model_version_activate,
    model_version_rollback,
    recommendation_for_client,
    recommendation_pick_record,
)
from scheduling.services import appointment_book

pytestmark = pytest.mark.usefixtures("frozen_now")


def test_recommendation_is_logged_with_its_items(client_user, service, providers, frozen_now):
    recommendation = recommendation_for_client(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=5),
        urgency="soon",
        limit=4,
    )
    log = recommendation.log
    assert log.client == client_user
    assert log.urgency == "soon"
    assert log.candidate_count > 4
    items = list(log.items.order_by("rank"))
    assert [i.rank for i in items] == [1, 2, 3, 4]
    assert set(items[0].features) >= {"weekday_fit", "adjacency", "short_fragments"}
    assert items[0].reasons


def test_hook_without_recommendation_id_does_nothing(client_user, service, providers, frozen_now):
    recommendation = recommendation_for_client(
        client=client_user, service=service, start=frozen_now, end=frozen_now + timedelta(days=5)
    )
    slot = recommendation.slots[0].candidate
    appointment = appointment_book(
        client=client_user,
        provider=providers[0] if slot.provider_id == providers[0].pk else providers[1],
        service=service,
        start=slot.start,
    )
    recommendation.log.refresh_from_db()
    assert recommendation.log.picked_item is None
    assert appointment.source == "manual"


def test_a_recommendation_can_be_used_for_one_booking_only(
    client_user, service, providers, frozen_now
):
    recommendation = recommendation_for_client(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=5),
        limit=10,
    )
    by_id = {p.pk: p for p in providers}
    shown = [s.candidate for s in recommendation.slots]
    first = shown[0]
    second = next(s for s in shown if s.start >= first.end or s.end <= first.start)
    context = {"recommendation_id": str(recommendation.log.pk)}
    appointment_book(
        client=client_user,
        provider=by_id[first.provider_id],
        service=service,
        start=first.start,
        context=context,
    )
    with pytest.raises(ValidationError) as raised:
        appointment_book(
            client=client_user,
            provider=by_id[second.provider_id],
            service=service,
            start=second.start,
            context=context,
        )
    assert "recommendation_id" in raised.value.message_dict


def test_malformed_recommendation_id_is_a_validation_error(client_user):
    class Booked:
        client_id = client_user.pk

    with pytest.raises(ValidationError) as raised:
        recommendation_pick_record(appointment=Booked(), context={"recommendation_id": "nope"})
    assert "recommendation_id" in raised.value.message_dict


def _version(number, *, active=False, promoted=True):
    return ModelVersion.objects.create(
        version=number, artifact_path=f"v{number}.joblib", is_active=active, promoted=promoted
    )


def test_activate_makes_exactly_one_version_active(db):
    v1, v2 = _version(1, active=True), _version(2)
    model_version_activate(version=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.is_active, v2.is_active) == (False, True)


def test_roll_back_returns_to_the_previous_promoted_version(db):
    v1 = _version(1)
    _version(2, promoted=False)
    v3 = _version(3, active=True)
    assert model_version_rollback() == v1
    v3.refresh_from_db()
    assert not v3.is_active
    assert list(ModelVersion.objects.filter(is_active=True)) == [v1]
    assert model_version_rollback() is None
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_exploration_perturbs_a_share_of_live_rankings(client_user, service, providers, frozen_now):
    import numpy as np

    from recommendations.models import SchedulerSettings

    SchedulerSettings.objects.filter(pk=1).update(exploration_share=1.0, exploration_noise=3.0)
    explored = recommendation_for_client(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=5),
        rng=np.random.default_rng(1),
    )
    assert explored.log.explored
    SchedulerSettings.objects.filter(pk=1).update(exploration_share=0.0)
    plain = recommendation_for_client(
        client=client_user, service=service, start=frozen_now, end=frozen_now + timedelta(days=5)
    )
    assert not plain.log.explored
    assert [s.candidate for s in explored.slots] != [s.candidate for s in plain.slots]
