import pytest
from django.conf import settings


def test_user_model_is_email_login():
    from django.contrib.auth import get_user_model

    assert get_user_model().USERNAME_FIELD == "email"


def test_tasks_run_in_process_without_broker():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


@pytest.mark.django_db
def test_policy_row_loads_with_defaults():
    from scheduling.models import BookingPolicy

    policy = BookingPolicy.load()
    assert (policy.slot_step_minutes, policy.min_notice_minutes, policy.horizon_days) == (
        15,
        120,
        60,
    )
