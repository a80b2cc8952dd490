from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Profile, Role, User
from accounts.tests.factories import UserFactory
from providers.models import Provider, Service, TimeOff, WorkingHours
from providers.services import (
    find_overlapping_hours,
    provider_add_time_off,
    provider_create,
    provider_set_services,
    provider_set_working_hours,
    service_create,
    service_update,
)
from providers.tests.factories import ProviderFactory, ServiceCategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def hours(*rows):
    return [
        {"weekday": day, "start_time": time.fromisoformat(s), "end_time": time.fromisoformat(e)}
        for day, s, e in rows
    ]


@pytest.fixture
def service():
    return ServiceFactory()


@pytest.fixture
def make_provider(admin_user, service):
    def make(**overrides):
        kwargs = {
            "email": "New.Doc@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "display_name": "Dr. Ada Lovelace",
            "timezone": "Europe/London",
            "service_ids": [service.pk],
            "working_hours": hours((0, "09:00", "12:30"), (0, "13:30", "17:00")),
            "actor": admin_user,
        }
        kwargs.update(overrides)
        return provider_create(**kwargs)

    return make


def assert_nothing_written(users_before: int):
    assert User.objects.count() == users_before
    assert Provider.objects.count() == 0
    assert WorkingHours.objects.count() == 0
    assert not User.objects.filter(email="new.doc@example.com").exists()


def error_fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# --- provider_create ---------------------------------------------------------------------


def test_provider_create_writes_user_profile_provider_services_and_hours(make_provider, service):
    provider = make_provider(country="us", subdivision="ny", daily_cap=6)

    user = provider.user
    assert user.email == "new.doc@example.com"
    assert user.role == Role.PROVIDER
    assert user.timezone == "Europe/London"
    assert not user.has_usable_password()
    assert Profile.objects.filter(user=user).exists()
    assert (provider.country, provider.subdivision, provider.daily_cap) == ("US", "NY", 6)
    assert list(provider.services.all()) == [service]
    assert [
        (h.weekday, h.start_time, h.end_time) for h in provider.working_hours.order_by("start_time")
    ] == [(0, time(9), time(12, 30)), (0, time(13, 30), time(17))]


def test_provider_create_with_password_lets_the_provider_log_in(make_provider):
    provider = make_provider(password="a-long-enough-Passw0rd")
    assert provider.user.check_password("a-long-enough-Passw0rd")


def test_a_bad_working_hours_row_writes_no_user(make_provider):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        make_provider(working_hours=hours((0, "09:00", "12:00"), (1, "17:00", "09:00")))
    assert "working_hours[1].end_time" in error_fields(exc_info)
    assert_nothing_written(before)


def test_overlapping_hours_on_one_day_are_refused_naming_the_later_row(make_provider):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        make_provider(
            working_hours=hours((2, "13:00", "17:00"), (2, "09:00", "13:30"), (3, "09:00", "17:00"))
        )
    assert error_fields(exc_info) == {"working_hours[0].start_time"}
    assert "overlaps 09:00-13:30 on Wednesday" in str(exc_info.value)
    assert_nothing_written(before)


def test_touching_intervals_make_a_break_not_an_overlap(make_provider):
    provider = make_provider(working_hours=hours((0, "09:00", "12:00"), (0, "12:00", "17:00")))
    assert provider.working_hours.count() == 2


def test_unknown_and_inactive_service_ids_are_refused(make_provider):
    inactive = ServiceFactory(is_active=False)
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        make_provider(service_ids=[inactive.pk, 999_999])
    assert error_fields(exc_info) == {"service_ids"}
    assert f"{inactive.pk}, 999999" in str(exc_info.value)
    assert_nothing_written(before)


def test_every_invalid_part_is_reported_at_once(make_provider):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        make_provider(
            email="not-an-email",
            timezone="Mars/Olympus",
            country="XX",
            daily_cap=0,
            service_ids=[999_999],
            working_hours=hours((7, "09:00", "17:00")),
        )
    assert error_fields(exc_info) == {
        "email",
        "timezone",
        "country",
        "daily_cap",
        "service_ids",
        "working_hours[0].weekday",
    }
    assert len(exc_info.value.message_dict["timezone"]) == 1
    assert_nothing_written(before)


def test_an_email_already_in_use_is_refused(make_provider):
    UserFactory(email="new.doc@example.com")
    with pytest.raises(ValidationError) as exc_info:
        make_provider()
    assert error_fields(exc_info) == {"email"}
    assert Provider.objects.count() == 0


def test_a_weak_password_is_refused(make_provider):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        make_provider(password="123")
    assert error_fields(exc_info) == {"password"}
    assert_nothing_written(before)


@pytest.mark.parametrize(
    ("country", "subdivision", "field"),
    [("", "NY", "subdivision"), ("US", "ZZ", "subdivision"), ("QQ", "", "country")],
)
def test_holiday_calendar_must_exist(make_provider, country, subdivision, field):
    with pytest.raises(ValidationError) as exc_info:
        make_provider(country=country, subdivision=subdivision)
    assert error_fields(exc_info) == {field}
    assert Provider.objects.count() == 0


def test_only_an_admin_may_create_a_provider(make_provider):
    clerk = UserFactory(role=Role.CLIENT)
    with pytest.raises(PermissionDenied):
        make_provider(actor=clerk)
    assert Provider.objects.count() == 0


# --- working hours and time off ----------------------------------------------------------


def test_set_working_hours_replaces_the_whole_week(provider):
    assert provider.working_hours.count() == 5
    provider_set_working_hours(
        provider=provider,
        working_hours=hours((5, "09:00", "12:00"), (5, "13:00", "15:00")),
        actor=provider.user,
    )
    assert [(h.weekday, h.start_time) for h in provider.working_hours.order_by("start_time")] == [
        (5, time(9)),
        (5, time(13)),
    ]


def test_invalid_week_keeps_the_old_hours(provider):
    with pytest.raises(ValidationError) as exc_info:
        provider_set_working_hours(
            provider=provider,
            working_hours=hours((0, "09:00", "12:00"), (0, "11:00", "15:00")),
        )
    assert error_fields(exc_info) == {"working_hours[1].start_time"}
    assert provider.working_hours.count() == 5


def test_another_provider_cannot_change_the_week(provider):
    other = ProviderFactory()
    with pytest.raises(PermissionDenied):
        provider_set_working_hours(provider=provider, working_hours=[], actor=other.user)
    assert provider.working_hours.count() == 5


def test_time_off_is_stored_as_an_instant(provider):
    london = ZoneInfo("Europe/London")
    time_off = provider_add_time_off(
        provider=provider,
        start=datetime(2026, 7, 1, 9, tzinfo=london),
        end=datetime(2026, 7, 1, 13, tzinfo=london),
        reason="Dentist",
    )
    time_off.refresh_from_db()
    assert time_off.start == datetime(2026, 7, 1, 8, tzinfo=UTC)


def test_time_off_ending_before_it_starts_is_refused(provider):
    with pytest.raises(ValidationError) as exc_info:
        provider_add_time_off(
            provider=provider,
            start=datetime(2026, 7, 2, tzinfo=UTC),
            end=datetime(2026, 7, 1, tzinfo=UTC),
        )
    assert error_fields(exc_info) == {"end"}
    assert TimeOff.objects.count() == 0


def test_naive_time_off_is_refused(provider):
    with pytest.raises(ValidationError) as exc_info:
        provider_add_time_off(
            provider=provider,
            start=datetime(2026, 7, 1, 9),  # noqa: DTZ001 - the point of the test
            end=datetime(2026, 7, 1, 10, tzinfo=UTC),
        )
    assert error_fields(exc_info) == {"start"}
    assert TimeOff.objects.count() == 0


def test_find_overlapping_hours_reports_each_interval_inside_a_long_one():
    intervals = [(0, time(9), time(17)), (0, time(10), time(11)), (0, time(12), time(13))]
    assert set(find_overlapping_hours(intervals)) == {1, 2}
    assert find_overlapping_hours([(0, time(9), time(12)), (1, time(10), time(11))]) == {}


# --- services ----------------------------------------------------------------------------


def test_service_create_validates_before_saving(admin_user):
    category = ServiceCategoryFactory()
    with pytest.raises(ValidationError) as exc_info:
        service_create(
            category=category,
            name="Too short",
            duration_minutes=2,
            accepted_urgencies=["whenever"],
            actor=admin_user,
        )
    assert error_fields(exc_info) == {"duration_minutes", "accepted_urgencies"}
    assert Service.objects.count() == 0


def test_service_create_and_update(admin_user):
    service = service_create(
        category=ServiceCategoryFactory(), name="Massage", duration_minutes=45, actor=admin_user
    )
    service_update(service=service, data={"buffer_after_minutes": 15}, actor=admin_user)
    service.refresh_from_db()
    assert (service.duration_minutes, service.buffer_after_minutes) == (45, 15)


def test_service_update_refuses_unknown_fields_and_non_admins(admin_user):
    service = ServiceFactory()
    with pytest.raises(ValidationError) as exc_info:
        service_update(service=service, data={"id": 5}, actor=admin_user)
    assert error_fields(exc_info) == {"id"}
    with pytest.raises(PermissionDenied):
        service_update(service=service, data={"name": "x"}, actor=UserFactory(role=Role.PROVIDER))
    service.refresh_from_db()
    assert service.name != "x"


def test_provider_set_services_refuses_unknown_ids_and_keeps_the_old_ones(provider, admin_user):
    kept, added = ServiceFactory(), ServiceFactory()
    provider.services.set([kept])
    with pytest.raises(ValidationError) as exc_info:
        provider_set_services(provider=provider, service_ids=[added.pk, 999_999], actor=admin_user)
    assert error_fields(exc_info) == {"service_ids"}
    assert list(provider.services.all()) == [kept]
    provider_set_services(provider=provider, service_ids=[added.pk], actor=admin_user)
    assert list(provider.services.all()) == [added]
