from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import Profile, Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from providers.demo import create_demo_clinic
from providers.models import Provider, Service, ServiceCategory, TimeOff, WorkingHours

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

DEMO_LOGINS = ["dr.ncube@smartbook.test", "dr.okafor@smartbook.test"]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Profile, ServiceCategory, Service, Provider, WorkingHours, TimeOff)
    } | {"offers": Provider.services.through.objects.count()}


@pytest.fixture
def demo_logins():
    """What accounts.demo.create_demo_users() leaves behind: two provider logins."""
    return [UserFactory(email=email, role=Role.PROVIDER) for email in DEMO_LOGINS]


@time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)
def test_demo_clinic_is_idempotent(demo_logins):
    create_demo_clinic()
    first = counts()
    create_demo_clinic()
    assert counts() == first
    assert first["ServiceCategory"] == 4
    assert 8 <= first["Service"] <= 11
    assert Service.objects.filter(capacity__gt=1).count() == 1  # a group class
    assert first["Provider"] == 10


@time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)
def test_demo_clinic_uses_the_demo_logins_and_keeps_their_passwords(demo_logins):
    create_demo_clinic()
    for user in demo_logins:
        user.refresh_from_db()
        assert user.provider.is_active
        assert user.check_password(DEFAULT_PASSWORD)
    others = User.objects.filter(role=Role.PROVIDER).exclude(email__in=DEMO_LOGINS)
    assert others.count() == 8
    assert not any(user.has_usable_password() for user in others)
    assert Profile.objects.filter(user__in=others).count() == 8


@time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)
def test_demo_clinic_is_varied_enough_to_show_the_product(demo_logins):
    create_demo_clinic()
    providers = list(Provider.objects.prefetch_related("services", "working_hours"))

    zones = {p.timezone for p in providers}
    assert {"Europe/London", "America/New_York", "Asia/Kolkata", "Africa/Johannesburg"} <= zones
    assert sum(p.timezone == "Europe/London" for p in providers) > len(providers) / 2
    assert all(2 <= len(p.services.all()) <= 4 for p in providers)
    assert sum(bool(p.country) for p in providers) >= 5
    durations = set(Service.objects.values_list("duration_minutes", flat=True))
    assert min(durations) == 15 and max(durations) == 90
    assert Service.objects.filter(buffer_after_minutes__gt=0).exists()
    assert Service.objects.filter(buffer_before_minutes__gt=0).exists()

    def has_lunch_break(provider):
        days = [h.weekday for h in provider.working_hours.all()]
        return any(days.count(day) >= 2 for day in set(days))

    assert all(has_lunch_break(p) for p in providers)
    assert WorkingHours.objects.filter(weekday=5).values("provider").distinct().count() >= 2

    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    time_off = list(TimeOff.objects.all())
    assert len(time_off) >= 3
    assert all(now < t.start < t.end for t in time_off)
    assert all((t.start - now).days <= 35 for t in time_off)


def test_demo_clinic_works_before_the_demo_logins_exist():
    create_demo_clinic()
    assert Provider.objects.count() == 10
    assert User.objects.filter(email__in=DEMO_LOGINS, role=Role.PROVIDER).count() == 2


@time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC), tick=False)
def test_demo_clinic_after_the_accounts_demo_keeps_the_printed_logins():
    from accounts.demo import DEMO_USERS, create_demo_users

    create_demo_users()
    create_demo_clinic()
    create_demo_users()
    create_demo_clinic()
    passwords = {email: password for email, password, *_ in DEMO_USERS}
    for email in DEMO_LOGINS:
        user = User.objects.get(email=email)
        assert user.check_password(passwords[email])
        assert user.provider.services.count() >= 2
    assert Provider.objects.count() == 10
