"""The features: exact values on a small history, and no leakage from the future."""

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from accounts.tests.factories import UserFactory
from attendance.features import FEATURE_NAMES, feature_frame
from attendance.history import history_for_scoring, history_of_clients, reminders_of
from attendance.services import reminder_delivered
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; the prediction instant


def _features(appointment, at=T):
    history = history_of_clients([appointment.client_id])
    targets = pd.DataFrame({"appointment_id": [appointment.pk], "predict_at": [at]})
    return feature_frame(history, reminders_of([appointment.pk]), targets).iloc[0].to_dict()


def _set_created(appointment, created):
    type(appointment).objects.filter(pk=appointment.pk).update(created_at=created)


@pytest.fixture
def client_in_tokyo(db):
    return UserFactory(timezone="Asia/Tokyo")


@pytest.fixture
def target(client_in_tokyo):
    # Tuesday 10 March 2026 02:30 UTC = Tuesday 11:30 in Tokyo; booked 20 days before.
    appointment = AppointmentFactory(
        client=client_in_tokyo, start=datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    )
    _set_created(appointment, appointment.start - timedelta(days=20))
    past = [
        (T - timedelta(days=40), AppointmentStatus.COMPLETED),
        (T - timedelta(days=30), AppointmentStatus.NO_SHOW),
        (T - timedelta(days=20), AppointmentStatus.COMPLETED),
        (T - timedelta(days=10), AppointmentStatus.NO_SHOW),
        (T - timedelta(days=5), AppointmentStatus.NO_SHOW),
    ]
    for start, status in past:
        AppointmentFactory(client=client_in_tokyo, start=start, status=status)
    AppointmentFactory(
        client=client_in_tokyo,
        start=T + timedelta(days=3),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=T - timedelta(days=1),
    )
    return appointment


@pytest.mark.django_db
def test_features_of_a_returning_client_have_exact_values(target):
    reminder_delivered(target.pk, T - timedelta(hours=1))
    features = _features(target)
    assert list(features) == list(FEATURE_NAMES)
    assert features["past_visits"] == pytest.approx(math.log1p(5))
    assert features["past_no_show_rate"] == pytest.approx((3 + 2 * 0.2) / (5 + 2))
    assert features["recent_no_shows"] == 3  # of the last four: completed, missed x3
    assert features["last_was_no_show"] == 1
    # the last visit ended 5 days minus its 30 minutes before
    assert features["days_since_last_visit"] == pytest.approx(math.log1p(5 - 30 / 1440))
    assert features["is_new"] == 0
    assert features["past_cancellations"] == pytest.approx(math.log1p(1))
    assert features["lead_14_28_days"] == 1 and features["lead_4_13_days"] == 0
    assert features["days_left"] == pytest.approx(math.log1p(7 + 17.5 / 24))
    assert features["weekday_tuesday"] == 1 and features["weekday_monday"] == 0
    assert features["hour_midday"] == 1  # 11:30 in Tokyo, not 02:30 UTC
    assert features["reminders_delivered"] == 1
    assert features["confirmed"] == 0
    assert features["service"] == str(target.service_id)
    assert features["provider"] == str(target.provider_id)


@pytest.mark.django_db
def test_a_new_client_booked_the_same_day(client_in_tokyo):
    appointment = AppointmentFactory(client=client_in_tokyo, start=T + timedelta(hours=5))
    _set_created(appointment, T - timedelta(hours=1))
    features = _features(appointment)
    assert features["is_new"] == 1 and features["past_visits"] == 0
    assert features["past_no_show_rate"] == pytest.approx(0.2)
    assert features["days_since_last_visit"] == 0
    assert features["lead_same_day"] == 1


@pytest.mark.django_db
def test_nothing_after_the_prediction_nor_the_own_outcome_changes_the_features(target):
    before = _features(target)
    # Its own outcome, recorded later.
    target.status = AppointmentStatus.NO_SHOW
    target.save(update_fields=["status"])
    # A later appointment that ended before the target's start but after the prediction.
    AppointmentFactory(
        client=target.client, start=T + timedelta(days=1), status=AppointmentStatus.NO_SHOW
    )
    # A later cancellation of an appointment booked before.
    AppointmentFactory(
        client=target.client,
        start=T + timedelta(days=4),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=T + timedelta(hours=2),
    )
    # A later confirmation and a later reminder.
    type(target).objects.filter(pk=target.pk).update(confirmed_at=T + timedelta(hours=3))
    reminder_delivered(target.pk, T + timedelta(hours=4))
    assert _features(target) == before
    # ... which the prediction made afterwards does see.
    later = _features(target, at=T + timedelta(days=2))
    assert later["confirmed"] == 1 and later["reminders_delivered"] == 1
    assert later["past_visits"] == pytest.approx(math.log1p(6))


@pytest.mark.django_db
def test_the_scoring_history_gives_the_same_features_as_the_full_one(target):
    targets = pd.DataFrame({"appointment_id": [target.pk], "predict_at": [T]})
    slim = feature_frame(history_for_scoring([target.pk]), reminders_of([target.pk]), targets)
    assert slim.iloc[0].to_dict() == _features(target)


@pytest.mark.django_db
def test_the_scoring_history_reads_instants_exactly_with_or_without_fractions(target):
    """Instants come as text (parsed by pandas at once): whole seconds and fractions in one
    column, and empty ones, read back as the same instants."""
    exact = datetime(2026, 2, 1, 8, 15, 30, 123456, tzinfo=UTC)
    _set_created(target, exact)
    own = history_for_scoring([target.pk])
    full = history_of_clients([target.client_id]).set_index("id")
    row = own.set_index("id").loc[target.pk]
    assert row["created_at"] == pd.Timestamp(exact)
    assert row["start"] == pd.Timestamp(target.start)
    assert pd.isna(row["cancelled_at"]) and pd.isna(row["confirmed_at"])
    others = own[own["id"] != target.pk].set_index("id")
    for pk, end in others["end"].items():
        assert end == full.loc[pk, "end"]
    cancelled = others["cancelled_at"].dropna()
    assert list(cancelled) == [pd.Timestamp(T - timedelta(days=1))]


def test_the_pure_modules_import_no_django():
    code = (
        "import sys; import attendance.features, attendance.generator, attendance.learning, "
        "attendance.reasons, attendance.evaluation; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
