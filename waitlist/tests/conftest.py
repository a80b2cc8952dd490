"""Fixtures of the waitlist tests: the root's frozen Monday (12 January 2026, 08:00 UTC;
London on GMT), a clinic provider working 09:00-17:00 Monday to Friday, a 30-minute service,
and no booking notice, so the day's own freed time can be offered."""

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import BookingPolicy


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])


@pytest.fixture
def policy(db):
    policy = BookingPolicy.load()
    policy.min_notice_minutes = 60
    policy.max_client_appointments_per_day = 2
    policy.save()
    return policy


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block sends on commit (events, the matching tasks, in-process)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def join(committed, service):
    """Join the waitlist for `service` on Tuesday 13 January, 10:00-10:30 London, unless told
    otherwise; the matching after commit runs."""
    from datetime import date, time

    from django.utils import timezone

    from waitlist import services
    from waitlist.tests.support import days

    def _join(client, **kwargs):
        kwargs.setdefault("service", service)
        kwargs.setdefault(
            "ranges", [days(date(2026, 1, 13), date(2026, 1, 13), time(10), time(10, 30))]
        )
        kwargs.setdefault("expires_on", date(2026, 1, 31))
        kwargs.setdefault("now", timezone.now())
        with committed():
            return services.entry_join(client=client, **kwargs)

    return _join
