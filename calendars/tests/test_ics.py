"""ICS subscriptions from a real local HTTP server: busy time in, a malformed file keeps the
previous data, a huge or endless file is cut off, redirects are followed (each hop checked),
and what the parser makes of time zones, all-day and transparent events."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from calendars import http, ical, services
from calendars.models import CalendarConnection
from calendars.tests.support import vcalendar, vevent
from providers.models import ExternalBusy
from scheduling.selectors import available_slots

pytestmark = pytest.mark.usefixtures("frozen_now")

BUSY = vcalendar(
    vevent("meeting", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z"),
    vevent("free", "DTSTART:20260114T150000Z", "DTEND:20260114T160000Z", "TRANSP:TRANSPARENT"),
    vevent("off", "DTSTART:20260114T100000Z", "DTEND:20260114T110000Z", "STATUS:CANCELLED"),
)


def utc(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def starts(service, day):
    return {s.start for s in available_slots(service=service, start=day, end=day + timedelta(1))}


@pytest.fixture
def subscribe(cal_provider):
    def _subscribe(url):
        return services.connection_create_ics(
            provider=cal_provider, url=url, name="Practice", actor=cal_provider.user
        )

    return _subscribe


def test_opaque_events_block_and_transparent_or_cancelled_ones_do_not(files, subscribe, service):
    files.serve("/cal.ics", BUSY)
    connection = subscribe(files.url("/cal.ics"))

    synced = services.connection_sync(connection_id=connection.pk)

    assert (synced.last_error, synced.events_imported) == ("", 1)
    offered = starts(service, utc(1, 14, 0))
    assert utc(1, 14, 13) not in offered
    assert {utc(1, 14, 15), utc(1, 14, 10)} <= offered


def test_an_unchanged_feed_is_asked_conditionally_and_not_read_again(
    files, subscribe, service, frozen_now, time_machine
):
    files.serve("/cal.ics", BUSY, etag='"v1"')
    connection = subscribe(files.url("/cal.ics"))
    assert connection.feed_etag == '"v1"'
    answers = []
    original = files.routes["/cal.ics"]
    files.routes["/cal.ics"] = lambda handler: (
        answers.append(handler.headers.get("If-None-Match")),
        original(handler),
    )
    time_machine.move_to(frozen_now + timedelta(minutes=5), tick=False)

    synced = services.connection_sync(connection_id=connection.pk)

    assert answers == ['"v1"']  # asked with the validator; the 304 carried no calendar
    assert synced.last_success_at == frozen_now + timedelta(minutes=5)
    assert (synced.last_error, synced.events_imported) == ("", 1)
    assert utc(1, 14, 13) not in starts(service, utc(1, 14, 0))

    # When the expansion must reach further, the feed is read whole, unconditionally.
    CalendarConnection.objects.update(expanded_until=frozen_now)
    services.connection_sync(connection_id=connection.pk)
    assert answers == ['"v1"', None]

    # A changed feed (new ETag) is read and replaces the busy time.
    files.serve("/cal.ics", vcalendar(), etag='"v2"')
    changed = services.connection_sync(connection_id=connection.pk)
    assert (changed.events_imported, changed.feed_etag) == (0, '"v2"')


def test_a_malformed_file_is_a_clear_error_and_keeps_the_previous_busy_time(
    files, subscribe, service
):
    files.serve("/cal.ics", BUSY)
    connection = subscribe(files.url("/cal.ics"))
    services.connection_sync(connection_id=connection.pk)
    files.serve("/cal.ics", b"<html>Sign in to see this calendar</html>")

    failed = services.connection_sync(connection_id=connection.pk)

    assert failed.last_error.startswith("the file is not")
    assert failed.failures == 1 and failed.events_imported == 1
    assert utc(1, 14, 13) not in starts(service, utc(1, 14, 0))


def test_a_huge_file_is_cut_off_at_the_size_limit(files, subscribe, settings):
    settings.CALENDAR_MAX_BYTES = 256 * 1024
    files.endless("/endless.ics", b"X-FILLER:" + b"x" * 4000 + b"\r\n")
    files.serve("/big.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * (300 * 1024))
    for path in ("/endless.ics", "/big.ics"):
        connection = subscribe(files.url(path))
        failed = services.connection_sync(connection_id=connection.pk)
        assert failed.last_error == "the calendar is larger than 256 KB"
    assert not ExternalBusy.objects.exists()


def test_a_server_that_does_not_answer_in_time_fails_the_sync(
    subscribe, settings, loopback_allowed
):
    import socket

    settings.CALENDAR_TIMEOUT_SECONDS = 0.2
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection and never answers
    try:
        connection = subscribe(f"http://127.0.0.1:{silent.getsockname()[1]}/cal.ics")
        failed = services.connection_sync(connection_id=connection.pk)
    finally:
        silent.close()
    assert failed.last_error == "the server did not answer within 0.2 s"


def test_redirects_are_followed_a_few_times(files, subscribe, service):
    files.serve("/cal.ics", BUSY)
    files.redirect("/old.ics", "/cal.ics", status=301)
    files.redirect("/webcal", files.url("/old.ics"))
    connection = subscribe(files.url("/webcal"))
    assert services.connection_sync(connection_id=connection.pk).events_imported == 1

    for hop in range(7):
        files.redirect(f"/loop{hop}", f"/loop{hop + 1}")
    looping = subscribe(files.url("/loop0"))
    failed = services.connection_sync(connection_id=looping.pk)
    assert failed.last_error == "the server redirected more than 5 times"


def test_a_redirect_to_a_private_address_is_refused(files, subscribe, settings):
    files.redirect("/cal.ics", "http://10.1.2.3/secret.ics")
    connection = subscribe(files.url("/cal.ics"))
    failed = services.connection_sync(connection_id=connection.pk)
    assert failed.last_error == "the address 10.1.2.3 is private and not allowed"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:9/cal.ics", "loopback"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://192.168.0.10/cal.ics", "private"),
        ("ftp://example.com/cal.ics", "only http://"),
    ],
)
def test_private_and_link_local_addresses_are_refused_unless_allowed(cal_provider, url, words):
    with pytest.raises(ValidationError) as refused:
        services.connection_create_ics(provider=cal_provider, url=url, actor=cal_provider.user)
    assert words in refused.value.message_dict["url"][0]


def test_webcal_addresses_are_fetched_over_https():
    assert http.normalise_url("webcal://example.com/x.ics") == "https://example.com/x.ics"


# --- the parser ----------------------------------------------------------------------------

WINDOW = {"window_start": utc(1, 1, 0), "window_end": utc(12, 31, 0)}


def test_an_event_in_new_york_on_a_dst_day_blocks_the_right_instants_for_london():
    # 8 March 2026: New York springs forward (EST to EDT); London is still on GMT.
    data = vcalendar(
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
        "BEGIN:STANDARD\r\nDTSTART:20071104T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
        "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
        "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n",
        vevent(
            "ny-daily",
            "DTSTART;TZID=America/New_York:20260307T090000",
            "DTEND;TZID=America/New_York:20260307T100000",
            "RRULE:FREQ=DAILY;COUNT=3",
        ),
    )
    periods = ical.busy_periods(data, zone="Europe/London", **WINDOW)
    assert [(p.start, p.end) for p in periods] == [
        (utc(3, 7, 14), utc(3, 7, 15)),  # EST: 09:00 is 14:00 UTC
        (utc(3, 8, 13), utc(3, 8, 14)),  # EDT from 02:00 that day: 09:00 is 13:00 UTC
        (utc(3, 9, 13), utc(3, 9, 14)),
    ]


def test_a_weekly_event_keeps_its_wall_time_across_the_providers_dst_change():
    data = vcalendar(
        vevent(
            "standup",
            "DTSTART;TZID=Europe/London:20260323T090000",
            "DTEND;TZID=Europe/London:20260323T093000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    periods = ical.busy_periods(data, zone="Europe/London", **WINDOW)
    assert [p.start for p in periods] == [utc(3, 23, 9), utc(3, 30, 8)]  # BST from 29 March


def test_all_day_events_block_the_providers_local_day():
    data = vcalendar(vevent("holiday", "DTSTART;VALUE=DATE:20260701", "DTEND;VALUE=DATE:20260703"))
    (period,) = ical.busy_periods(data, zone="Europe/London", **WINDOW)
    assert (period.start, period.end) == (utc(6, 30, 23), utc(7, 2, 23))  # BST midnight


def test_floating_times_are_the_providers_wall_clock_and_utc_times_stay():
    data = vcalendar(
        vevent("floating", "DTSTART:20260701T090000", "DTEND:20260701T100000"),
        vevent("utc", "DTSTART:20260701T090000Z", "DURATION:PT30M"),
    )
    periods = sorted(ical.busy_periods(data, zone="Europe/London", **WINDOW), key=lambda p: p.uid)
    assert [(p.uid, p.start, p.end) for p in periods] == [
        ("floating", utc(7, 1, 8), utc(7, 1, 9)),
        ("utc", utc(7, 1, 9), utc(7, 1, 9, 30)),
    ]


def test_rdates_add_occurrences_and_cancelled_overrides_remove_them():
    data = vcalendar(
        vevent(
            "class",
            "DTSTART:20260105T180000Z",
            "DTEND:20260105T190000Z",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "RDATE:20260108T180000Z",
        ),
        vevent(
            "class",
            "RECURRENCE-ID:20260112T180000Z",
            "DTSTART:20260112T180000Z",
            "DTEND:20260112T190000Z",
            "STATUS:CANCELLED",
        ),
    )
    periods = ical.busy_periods(data, zone="Europe/London", **WINDOW)
    assert sorted(p.start for p in periods) == [utc(1, 5, 18), utc(1, 8, 18), utc(1, 19, 18)]


def test_smartbooks_own_events_are_not_busy_time():
    data = vcalendar(vevent("3f1c@smartbook", "DTSTART:20260105T180000Z", "DTEND:20260105T190000Z"))
    assert ical.busy_periods(data, zone="Europe/London", **WINDOW) == []


def test_only_occurrences_in_the_window_are_kept():
    data = vcalendar(
        vevent("daily", "DTSTART:20250101T090000Z", "DTEND:20250101T100000Z", "RRULE:FREQ=DAILY")
    )
    periods = ical.busy_periods(
        data, zone="UTC", window_start=utc(1, 12, 0), window_end=utc(1, 15, 0)
    )
    assert [p.start for p in periods] == [utc(1, 12, 9), utc(1, 13, 9), utc(1, 14, 9)]


def test_an_all_day_event_on_a_day_whose_midnight_is_skipped_starts_at_the_transition():
    # Santiago sets its clocks forward at 00:00 on 6 September 2026: midnight never happens.
    data = vcalendar(vevent("day-off", "DTSTART;VALUE=DATE:20260906", "DTEND;VALUE=DATE:20260907"))
    (period,) = ical.busy_periods(data, zone="America/Santiago", **WINDOW)
    assert (period.start, period.end) == (utc(9, 6, 4), utc(9, 7, 3))


def test_a_nul_in_an_events_uid_is_dropped_not_a_crash(files, subscribe):
    files.serve(
        "/cal.ics",
        vcalendar(
            vevent("odd\\x00uid", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")
        ).replace(b"\\x00", b"\x00"),
    )
    synced = services.connection_sync(connection_id=subscribe(files.url("/cal.ics")).pk)
    assert (synced.last_error, synced.events_imported) == ("", 1)
    assert ExternalBusy.objects.get().uid == "odduid"


def test_recommendations_never_offer_external_busy_time(files, subscribe, client_user, service):
    from accounts.tests.support import auth_client

    # Busy all of Wednesday 14 January but 10:00-11:00.
    files.serve(
        "/cal.ics",
        vcalendar(
            vevent("morning", "DTSTART:20260114T000000Z", "DTEND:20260114T100000Z"),
            vevent("rest", "DTSTART:20260114T110000Z", "DTEND:20260115T000000Z"),
        ),
    )
    services.connection_sync(connection_id=subscribe(files.url("/cal.ics")).pk)
    answer = auth_client(client_user).get(
        "/api/appointments/recommended",
        {"service": service.pk, "start": "2026-01-14T00:00:00Z", "end": "2026-01-15T00:00:00Z"},
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["candidate_count"] == 1
    assert [slot["start"] for slot in body["results"]] == ["2026-01-14T10:00:00Z"]
