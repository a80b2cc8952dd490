"""The provider's own hours and time off: a change is checked first (the appointments it
would leave outside the working time, and what happens to them), then saved through the
providers' services, whose rules decide; staff keep the admin. The clock stands at Monday
12 January 2026, 08:00 UTC; the provider works 09:00-17:00 London, Monday to Friday."""

from datetime import UTC, datetime, time

import pytest

from accounts.tests.factories import UserFactory
from providers.models import TimeOff, WorkingHours
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.services import appointment_book
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def provider():
    return ProviderFactory(services=[ServiceFactory(duration_minutes=30)])


@pytest.fixture
def tuesday_four(provider):
    """A client's Tuesday 16:00 with the provider."""
    return appointment_book(
        client=UserFactory(first_name="Tia", last_name="Late"),
        provider=provider,
        service=provider.services.get(),
        start=datetime(2026, 1, 13, 16, tzinfo=UTC),
    )


def week(**overrides) -> dict:
    """The form's fields for 09:00-17:00 Monday to Friday, with `overrides`."""
    data = {"form": "hours"}
    for day in range(5):
        data[f"{day}_1_start"], data[f"{day}_1_end"] = "09:00", "17:00"
    data.update(overrides)
    return data


@pytest.fixture
def web(client, provider):
    client.force_login(provider.user)
    return client


def test_the_page_shows_the_week_as_it_is(web):
    page = web.get("/schedule/hours")
    assert page.status_code == 200
    form = page.context["hours_form"]
    assert form.initial["0_1_start"] == time(9) and form.initial["4_1_end"] == time(17)
    assert "5_1_start" not in form.initial  # Saturday off


def test_checking_shorter_hours_lists_the_appointments_left_outside_and_saves_nothing(
    web, provider, tuesday_four, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = web.post("/schedule/hours", week(**{"1_1_end": "15:00"}))

    assert page.status_code == 200
    assert [a.pk for a, _ in page.context["check"]["affected"]] == [tuesday_four.pk]
    html = page.content.decode()
    assert "Tia Late" in html and "outside working hours" in html
    assert "offered the closest free time" in html
    assert WorkingHours.objects.get(provider=provider, weekday=1).end_time == time(17)
    assert callbacks == [] and not WaitlistEntry.objects.exists()


def test_saving_after_the_check_writes_the_week_and_offers_the_client_another_time(
    web, provider, tuesday_four, django_capture_on_commit_callbacks
):
    data = week(**{"1_1_end": "15:00"})
    checked = web.post("/schedule/hours", data).context["check"]["ids"]
    with django_capture_on_commit_callbacks(execute=True):
        saved = web.post("/schedule/hours", {**data, "confirm": "1", "checked": checked})

    assert saved.status_code == 302 and "saved=hours" in saved["Location"]
    assert WorkingHours.objects.get(provider=provider, weekday=1).end_time == time(15)
    entry = WaitlistEntry.objects.get()
    assert (entry.client_id, entry.kind) == (tuesday_four.client_id, "displaced")
    banner = web.get(saved["Location"]).content.decode()
    assert "1 client whose appointment no longer fits is being offered another time" in banner


def test_a_save_that_no_longer_matches_the_check_is_shown_again_not_saved(
    web, provider, tuesday_four
):
    data = week(**{"1_1_end": "15:00"})
    page = web.post("/schedule/hours", {**data, "confirm": "1", "checked": ""})
    assert page.status_code == 200 and page.context["check"]["changed_meanwhile"]
    assert WorkingHours.objects.get(provider=provider, weekday=1).end_time == time(17)


def test_overlapping_or_backwards_hours_are_refused_in_plain_words_on_their_fields(web):
    page = web.post(
        "/schedule/hours", week(**{"2_2_start": "16:00", "2_2_end": "18:00", "3_1_end": "08:00"})
    )
    form = page.context["hours_form"]
    assert "overlaps 09:00-17:00 on Wednesday" in form.errors["2_2_start"][0]
    assert form.errors["3_1_end"] == ["The end must be after the start."]
    assert page.context["check"] is None
    assert "Please correct the fields marked below" in page.content.decode()


def test_half_an_interval_is_refused_before_the_rules_are_asked(web):
    form = web.post("/schedule/hours", week(**{"4_2_start": "10:00"})).context["hours_form"]
    assert form.errors == {"4_2_end": ["Give both times for Friday, or neither."]}


def test_time_off_is_read_in_the_providers_zone_checked_then_saved(
    web, provider, tuesday_four, django_capture_on_commit_callbacks
):
    provider.timezone = "America/New_York"
    provider.save()
    data = {"form": "time_off", "start": "2026-01-13T10:00", "end": "2026-01-13T12:00"}
    # 10:00-12:00 New York is 15:00-17:00 UTC: the 16:00 UTC appointment falls in it.
    page = web.post("/schedule/hours", data)
    assert [a.pk for a, _ in page.context["check"]["affected"]] == [tuesday_four.pk]
    assert not TimeOff.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        saved = web.post(
            "/schedule/hours", {**data, "confirm": "1", "checked": str(tuesday_four.pk)}
        )
    assert saved.status_code == 302
    off = TimeOff.objects.get()
    assert (off.start, off.end) == (
        datetime(2026, 1, 13, 15, tzinfo=UTC),
        datetime(2026, 1, 13, 17, tzinfo=UTC),
    )


def test_time_off_that_ends_before_it_starts_is_refused(web):
    page = web.post(
        "/schedule/hours",
        {"form": "time_off", "start": "2026-01-13T12:00", "end": "2026-01-13T10:00"},
    )
    assert page.context["off_form"].errors["end"] == ["The end must be after the start."]
    assert not TimeOff.objects.exists()


def test_clients_are_not_let_in(client):
    client.force_login(UserFactory(role="client"))
    assert client.get("/schedule/hours").status_code == 403


def test_the_provider_removes_their_own_time_off_and_the_waitlist_is_offered_it(
    web, provider, django_capture_on_commit_callbacks
):
    from datetime import date

    from waitlist import services as waitlist
    from waitlist.models import Offer
    from waitlist.tests.support import days

    off = TimeOff.objects.create(
        provider=provider,
        start=datetime(2026, 1, 13, 10, tzinfo=UTC),
        end=datetime(2026, 1, 13, 12, tzinfo=UTC),
    )
    waiting = UserFactory()
    waitlist.entry_join(
        client=waiting,
        service=provider.services.get(),
        ranges=[days(date(2026, 1, 13), date(2026, 1, 13), time(10), time(11))],
        expires_on=date(2026, 1, 31),
        now=datetime(2026, 1, 12, 8, tzinfo=UTC),
    )
    assert not Offer.objects.exists()  # the provider is off then
    page = web.get("/schedule/hours").content.decode()
    assert f'name="time_off" value="{off.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        removed = web.post("/schedule/hours", {"form": "remove_time_off", "time_off": off.pk})

    assert removed.status_code == 302 and "saved=time_off_removed" in removed["Location"]
    assert not TimeOff.objects.exists()
    assert Offer.objects.get().entry.client == waiting


def test_another_providers_time_off_cannot_be_removed(web):
    other = TimeOff.objects.create(
        provider=ProviderFactory(),
        start=datetime(2026, 1, 13, 10, tzinfo=UTC),
        end=datetime(2026, 1, 13, 12, tzinfo=UTC),
    )
    response = web.post("/schedule/hours", {"form": "remove_time_off", "time_off": other.pk})
    assert response.status_code == 404
    assert (
        web.post("/schedule/hours", {"form": "remove_time_off", "time_off": "x"}).status_code == 404
    )
    assert TimeOff.objects.filter(pk=other.pk).exists()
