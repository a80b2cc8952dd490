"""The booking rules one by one, pure (no database): each rule's boundary, field, words and
kind, and what is offered around it. The property tests hold the whole engine consistent;
these pin down each rule's own behaviour."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from scheduling import rules
from scheduling.availability import Interval, ProviderSchedule, WeeklyInterval

MIN = timedelta(minutes=1)
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)  # Monday 08:00 UTC (London is on GMT)
MONDAY_10 = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
SERVICE = rules.ServiceFacts(
    service_id=1,
    name="Check-up",
    is_active=True,
    duration=30 * MIN,
    buffer_before=0 * MIN,
    buffer_after=0 * MIN,
    accepted_urgencies=frozenset({"routine", "urgent"}),
)
NINE_TO_FIVE = tuple(WeeklyInterval(day, time(9), time(17)) for day in range(5))


def provider(provider_id: int = 10, **schedule) -> rules.ProviderFacts:
    return rules.ProviderFacts(
        provider_id=provider_id,
        name=f"Dr {provider_id}",
        is_active=True,
        user_id=500 + provider_id,
        service_ids=frozenset({1}),
        schedule=ProviderSchedule(
            provider_id=provider_id,
            timezone=schedule.pop("timezone", "Europe/London"),
            weekly_hours=schedule.pop("weekly_hours", NINE_TO_FIVE),
            **schedule,
        ),
    )


def client(**facts) -> rules.ClientFacts:
    return rules.ClientFacts(
        client_id=facts.pop("client_id", 1),
        is_active=facts.pop("is_active", True),
        timezone=facts.pop("timezone", "Europe/London"),
        held=facts.pop("held", ()),
        active_per_day=facts.pop("active_per_day", {}),
    )


def policy(**values) -> rules.Policy:
    """The default policy: 15-minute grid, 2 h notice, 60 days, 24 h cut-off, 2 a day;
    without a per-day limit when `values` change the notice or horizon."""
    limited = not values
    return rules.Policy(
        slot_step=values.pop("slot_step", 15 * MIN),
        min_notice=values.pop("min_notice", 120 * MIN),
        horizon=values.pop("horizon", timedelta(days=60)),
        client_cutoff=values.pop("client_cutoff", timedelta(hours=24)),
        max_client_appointments_per_day=2 if limited else None,
    )


def snapshot(*providers, **fields) -> rules.Snapshot:
    return rules.Snapshot(
        now=fields.pop("now", NOW),
        policy=fields.pop("policy", policy()),
        services=fields.pop("services", {1: SERVICE}),
        providers={p.provider_id: p for p in (providers or (provider(),))},
        client=fields.pop("client", None),
        may_override=fields.pop("may_override", False),
    )


def refused(snap, start, provider_id=10, service_id=1):
    return rules.refusal(snap, provider_id, service_id, start)


def assert_refusal(result, rule, field, message, kind=rules.RefusalKind.RULE):
    assert result is not None, f"expected {rule}"
    assert (result.rule, result.field, result.kind) == (rule, field, kind)
    assert result.message == message


def offered(snap, start, end, **kwargs):
    return [s.start for s in rules.offered_slots(snap, 1, Interval(start, end), **kwargs)]


# --- each rule --------------------------------------------------------------------------


def test_an_open_start_is_accepted():
    assert refused(snapshot(), MONDAY_10) is None


def test_a_start_without_offset_is_refused_first():
    naive = MONDAY_10.replace(tzinfo=None)
    assert_refusal(
        refused(snapshot(), naive),
        "start_has_offset",
        "start",
        "Give the start with a time zone offset.",
    )
    assert_refusal(
        rules.start_refusal(naive),
        "start_has_offset",
        "start",
        "Give the start with a time zone offset.",
    )
    assert rules.start_refusal(MONDAY_10) is None


def test_unknown_provider_and_service_are_not_found():
    kind = rules.RefusalKind.NOT_FOUND
    assert_refusal(
        refused(snapshot(), MONDAY_10, service_id=2),
        "service_known",
        "service",
        "Unknown service.",
        kind,
    )
    assert_refusal(
        refused(snapshot(), MONDAY_10, provider_id=11),
        "provider_known",
        "provider",
        "Unknown provider.",
        kind,
    )


def test_subjects_client_provider_and_service():
    inactive_client = snapshot(client=client(is_active=False))
    assert_refusal(
        refused(inactive_client, MONDAY_10), "client_active", "client", "This account cannot book."
    )
    off = replace(provider(), is_active=False)
    assert_refusal(
        refused(snapshot(off), MONDAY_10),
        "provider_active",
        "provider",
        "This provider is not taking bookings.",
    )
    themselves = snapshot(client=client(client_id=510))
    assert_refusal(
        refused(themselves, MONDAY_10),
        "provider_is_not_client",
        "provider",
        "Providers cannot book themselves.",
    )
    withdrawn = snapshot(services={1: replace(SERVICE, is_active=False)})
    assert_refusal(
        refused(withdrawn, MONDAY_10),
        "service_active",
        "service",
        "This service is not offered any more.",
    )
    other = replace(provider(), service_ids=frozenset({2}))
    assert_refusal(
        refused(snapshot(other), MONDAY_10),
        "service_offered",
        "service",
        "Dr 10 does not offer Check-up.",
    )


def test_the_past_is_refused_even_with_an_override():
    snap = snapshot(now=MONDAY_10, may_override=True)
    assert_refusal(
        refused(snap, MONDAY_10), "start_in_future", "start", "This time is in the past."
    )
    assert refused(snap, MONDAY_10 + 15 * MIN) is None


def test_notice_boundary_and_override():
    snap = snapshot(now=MONDAY_10 - 120 * MIN)
    assert refused(snap, MONDAY_10) is None  # exactly the notice
    early = snapshot(now=MONDAY_10 - 120 * MIN + timedelta(microseconds=1))
    assert_refusal(
        refused(early, MONDAY_10),
        "notice_given",
        "start",
        "Bookings need at least 120 minutes' notice.",
    )
    assert refused(replace(early, may_override=True), MONDAY_10) is None


def test_horizon_boundary_and_override():
    far = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)  # a Friday
    at_edge = snapshot(now=far - timedelta(days=60))
    assert refused(at_edge, far) is None
    beyond = snapshot(now=far - timedelta(days=60, microseconds=1))
    assert_refusal(
        refused(beyond, far), "within_horizon", "start", "Bookings open at most 60 days ahead."
    )
    assert refused(replace(beyond, may_override=True), far) is None
    window = Interval(far, far + timedelta(hours=1))
    assert_refusal(
        rules.window_refusal(beyond, window),
        "within_horizon",
        "start",
        "Bookings open at most 60 days ahead.",
    )
    assert rules.window_refusal(at_edge, window) is None
    assert rules.window_refusal(replace(beyond, may_override=True), window) is None


def test_working_time_reasons():
    on_leave = provider(
        time_off=(Interval(MONDAY_10, MONDAY_10 + 60 * MIN),),
        holidays=frozenset({date(2026, 1, 13)}),
    )
    snap = snapshot(on_leave)
    assert_refusal(
        refused(snap, MONDAY_10),
        "provider_working",
        "start",
        "Dr 10 is not available then: during time off.",
    )
    assert_refusal(
        refused(snap, datetime(2026, 1, 13, 10, tzinfo=UTC)),
        "provider_working",
        "start",
        "Dr 10 is not available then: on a public holiday.",
    )
    assert_refusal(
        refused(snap, datetime(2026, 1, 12, 16, 45, tzinfo=UTC)),
        "provider_working",
        "start",
        "Dr 10 is not available then: outside working hours.",
    )
    assert refused(snap, MONDAY_10 + 60 * MIN) is None  # time off ends as it starts


def test_working_conflict_needs_one_interval_to_hold_the_whole_span():
    split = provider(
        weekly_hours=(WeeklyInterval(0, time(9), time(12)), WeeklyInterval(0, time(12), time(17)))
    ).schedule
    noon = datetime(2026, 1, 12, 12, tzinfo=UTC)
    assert rules.working_conflict(split, Interval(noon - 30 * MIN, noon)) is None
    assert rules.working_conflict(split, Interval(noon, noon + 30 * MIN)) is None
    assert rules.working_conflict(split, Interval(noon - 15 * MIN, noon + 15 * MIN)) == (
        rules.OUTSIDE_HOURS
    )


def test_a_start_off_the_grid_is_refused():
    assert_refusal(
        refused(snapshot(), MONDAY_10 + 5 * MIN),
        "on_step_grid",
        "start",
        "Dr 10 takes bookings on the 15-minute grid of their hours; "
        "please pick one of the offered times.",
    )


def test_provider_day_cap_and_override():
    capped = provider(daily_cap=2, appointments_per_day={date(2026, 1, 12): 2})
    assert_refusal(
        refused(snapshot(capped), MONDAY_10),
        "provider_day_open",
        "start",
        "Dr 10 is fully booked on that day.",
    )
    assert refused(snapshot(capped, may_override=True), MONDAY_10) is None
    room = provider(daily_cap=2, appointments_per_day={date(2026, 1, 12): 1})
    assert refused(snapshot(room), MONDAY_10) is None
    empty_day = provider(daily_cap=1)
    assert refused(snapshot(empty_day), MONDAY_10) is None


def test_busy_time_is_taken_buffers_included():
    busy = provider(busy=(Interval(MONDAY_10 + 30 * MIN, MONDAY_10 + 60 * MIN),))
    taken = rules.RefusalKind.TAKEN
    assert refused(snapshot(busy), MONDAY_10) is None  # ends as the busy time starts
    buffered = snapshot(busy, services={1: replace(SERVICE, buffer_after=5 * MIN)})
    assert_refusal(
        refused(buffered, MONDAY_10),
        "provider_free",
        "start",
        "That time is no longer available with this provider; please pick another slot.",
        taken,
    )
    before = snapshot(busy, services={1: replace(SERVICE, buffer_before=5 * MIN)})
    assert_refusal(
        refused(before, MONDAY_10 + 60 * MIN),
        "provider_free",
        "start",
        "That time is no longer available with this provider; please pick another slot.",
        taken,
    )
    assert refused(snapshot(busy), MONDAY_10 + 60 * MIN) is None


def test_client_daily_limit_in_the_clients_own_zone():
    # 23:30 on Sunday in London is already Monday in Kolkata.
    kolkata = client(timezone="Asia/Kolkata", active_per_day={date(2026, 1, 12): 2})
    assert_refusal(
        refused(snapshot(client=kolkata), MONDAY_10),
        "client_day_open",
        "start",
        "You already have 2 appointments on this day, the most you can book for one day.",
    )
    assert refused(snapshot(client=kolkata, may_override=True), MONDAY_10) is None
    one = client(active_per_day={date(2026, 1, 12): 1})
    assert refused(snapshot(client=one), MONDAY_10) is None
    unlimited = policy(min_notice=0 * MIN, horizon=timedelta(days=9))
    assert refused(snapshot(client=kolkata, policy=unlimited), MONDAY_10) is None
    assert rules.client_day_count(kolkata, datetime(2026, 1, 11, 19, tzinfo=UTC)) == 2
    assert rules.client_day_count(kolkata, datetime(2026, 1, 11, 18, 29, tzinfo=UTC)) == 0


def test_client_overlap_with_anyone_is_taken_touching_is_not():
    held = rules.merged_held([Interval(MONDAY_10 + 30 * MIN, MONDAY_10 + 60 * MIN)])
    snap = snapshot(client=client(held=held))
    assert_refusal(
        refused(snap, MONDAY_10 + 15 * MIN),
        "client_free",
        "start",
        "You already have an appointment at that time.",
        rules.RefusalKind.TAKEN,
    )
    assert refused(snap, MONDAY_10) is None
    assert refused(snap, MONDAY_10 + 60 * MIN) is None
    assert rules.client_local_day(client(), MONDAY_10) == (
        datetime(2026, 1, 12, tzinfo=UTC),
        datetime(2026, 1, 13, tzinfo=UTC),
    )


def test_merged_held_joins_nested_and_touching_time():
    a = Interval(MONDAY_10, MONDAY_10 + 60 * MIN)
    nested = Interval(MONDAY_10 + 10 * MIN, MONDAY_10 + 20 * MIN)
    touching = Interval(MONDAY_10 + 60 * MIN, MONDAY_10 + 90 * MIN)
    assert rules.merged_held([touching, nested, a]) == (Interval(a.start, touching.end),)


# --- rules about requests and changes ---------------------------------------------------


def test_subject_refusal_without_a_provider_asks_only_the_service_rules():
    other = replace(provider(), service_ids=frozenset({2}))
    snap = snapshot(other)
    assert rules.subject_refusal(snap, 1) is None
    assert rules.subject_refusal(snap, 1, 10).rule == "service_offered"
    assert rules.subject_refusal(snap, 2).rule == "service_known"
    assert rules.subject_refusal(snapshot(client=client(is_active=False)), 1).rule == (
        "client_active"
    )


def test_urgency_rules():
    known = ("routine", "soon", "urgent")
    assert rules.urgency_refusal(SERVICE, "urgent", known) is None
    assert_refusal(
        rules.urgency_refusal(SERVICE, "whenever", known),
        "urgency_known",
        "urgency",
        "Choose one of routine, soon, urgent.",
    )
    assert_refusal(
        rules.urgency_refusal(SERVICE, "soon", known),
        "urgency_accepted",
        "urgency",
        "Check-up does not take soon requests.",
    )


def test_cutoff_boundary_and_who_is_bound():
    default = snapshot().policy
    cutoff = MONDAY_10 - timedelta(hours=24)
    assert rules.client_cutoff(MONDAY_10, default) == cutoff
    assert rules.cutoff_refusal(start=MONDAY_10, now=cutoff, policy=default, bound=True) is None
    late = cutoff + timedelta(microseconds=1)
    assert_refusal(
        rules.cutoff_refusal(start=MONDAY_10, now=late, policy=default, bound=True),
        "client_cutoff",
        "start",
        "Appointments can be changed or cancelled online until 24 hours before they start; "
        "please contact us.",
    )
    assert rules.cutoff_refusal(start=MONDAY_10, now=late, policy=default, bound=False) is None


def test_a_move_must_change_the_time():
    assert_refusal(
        rules.move_refusal(current_start=MONDAY_10, new_start=MONDAY_10),
        "move_changes_time",
        "start",
        "The appointment is already at that time.",
    )
    assert rules.move_refusal(current_start=MONDAY_10, new_start=MONDAY_10 + MIN) is None


# --- what is offered --------------------------------------------------------------------


def test_offered_slots_apply_notice_grid_and_window():
    starts = offered(snapshot(), NOW, datetime(2026, 1, 12, 11, tzinfo=UTC))
    assert starts == [MONDAY_10 + n * 15 * MIN for n in range(3)]  # 10:00 (notice) to 10:30


def test_notice_zero_never_offers_now_itself():
    no_notice = policy(min_notice=0 * MIN, horizon=timedelta(days=9))
    at_ten = snapshot(now=MONDAY_10, policy=no_notice)
    assert offered(at_ten, MONDAY_10, MONDAY_10 + 60 * MIN)[0] == MONDAY_10 + 15 * MIN
    assert rules.earliest_start(at_ten) == MONDAY_10 + timedelta(microseconds=1)
    assert rules.earliest_start(snapshot()) == NOW + 120 * MIN
    assert rules.earliest_start(snapshot(may_override=True)) == NOW + timedelta(microseconds=1)


def test_override_offers_past_the_horizon_and_full_days():
    capped = provider(daily_cap=1, appointments_per_day={date(2026, 1, 12): 1})
    window = (MONDAY_10, MONDAY_10 + 30 * MIN)
    assert offered(snapshot(capped), *window) == []
    assert offered(snapshot(capped, may_override=True), *window) == [MONDAY_10]
    short = policy(min_notice=0 * MIN, horizon=timedelta(hours=2))
    assert offered(snapshot(policy=short), MONDAY_10, MONDAY_10 + 30 * MIN) == [MONDAY_10]
    later = (MONDAY_10 + 15 * MIN, MONDAY_10 + 45 * MIN)
    assert offered(snapshot(policy=short), *later) == []
    assert offered(snapshot(policy=short, may_override=True), *later) == [later[0]]


def test_offered_slots_leave_out_providers_and_clients_the_rules_refuse():
    window = (MONDAY_10, MONDAY_10 + 30 * MIN)
    off = replace(provider(11), is_active=False)
    other = replace(provider(12), service_ids=frozenset({2}))
    own = provider(13)
    snap = snapshot(provider(10), off, other, own, client=client(client_id=513))
    assert [s.provider_id for s in rules.offered_slots(snap, 1, Interval(*window))] == [10]
    assert offered(snap, *window, provider_ids={13}) == []
    assert offered(snap, *window, provider_ids={10}) == [MONDAY_10]
    assert offered(snapshot(client=client(is_active=False)), *window) == []
    assert rules.offered_slots(snap, 2, Interval(*window)) == []
    withdrawn = snapshot(services={1: replace(SERVICE, is_active=False)})
    assert offered(withdrawn, *window) == []


def test_offered_slots_apply_the_client_rules():
    window = (MONDAY_10, MONDAY_10 + 60 * MIN)
    held = rules.merged_held([Interval(MONDAY_10 + 15 * MIN, MONDAY_10 + 30 * MIN)])
    assert offered(snapshot(client=client(held=held)), *window) == [MONDAY_10 + 30 * MIN]
    full = client(active_per_day={date(2026, 1, 12): 2})
    assert offered(snapshot(client=full), *window) == []
    assert len(offered(snapshot(client=full, may_override=True), *window)) == 3
    assert rules.client_can_take(snapshot(), ["anything"]) == ["anything"]


def test_offered_slots_sorted_by_start_then_provider():
    snap = snapshot(provider(12), provider(10))
    slots = rules.offered_slots(snap, 1, Interval(MONDAY_10, MONDAY_10 + 45 * MIN))
    assert [(s.start, s.provider_id) for s in slots] == [
        (MONDAY_10, 10),
        (MONDAY_10, 12),
        (MONDAY_10 + 15 * MIN, 10),
        (MONDAY_10 + 15 * MIN, 12),
    ]


def test_offered_moves_leave_out_the_current_start():
    window = Interval(MONDAY_10, MONDAY_10 + 60 * MIN)
    moves = [s.start for s in rules.offered_moves(snapshot(), 1, window, MONDAY_10 + 15 * MIN)]
    assert moves == [MONDAY_10, MONDAY_10 + 30 * MIN]


@pytest.mark.parametrize("rule", rules.RULES)
def test_every_rule_has_its_own_name(rule):
    names = [r.__name__ for r in rules.RULES]
    assert names.count(rule.__name__) == 1
    assert set(rules.SUBJECT_RULES) <= set(rules.RULES)


@pytest.mark.parametrize(
    "kind",
    [
        rules.Refusal,
        rules.Policy,
        rules.ServiceFacts,
        rules.ProviderFacts,
        rules.ClientFacts,
        rules.Snapshot,
        rules.Candidate,
    ],
)
def test_snapshot_parts_are_frozen_and_slotted(kind):
    # A snapshot read under the locks must not change while the rules read it.
    assert kind.__dataclass_params__.frozen
    assert "__slots__" in kind.__dict__


def test_refusal_kinds_are_the_documented_values():
    assert [kind.value for kind in rules.RefusalKind] == ["not_found", "rule", "taken"]
    with pytest.raises(AttributeError):
        snapshot().now = NOW  # frozen


def test_offered_slots_for_chosen_providers_skip_the_others_in_any_order():
    window = Interval(MONDAY_10, MONDAY_10 + 30 * MIN)
    snap = snapshot(provider(10), provider(12), provider(14))
    chosen = rules.offered_slots(snap, 1, window, provider_ids={12, 14})
    assert [s.provider_id for s in chosen] == [12, 14]


def test_the_clients_local_day_is_in_their_own_zone():
    kolkata = client(timezone="Asia/Kolkata")  # UTC+05:30
    assert rules.client_local_day(kolkata, MONDAY_10) == (
        datetime(2026, 1, 11, 18, 30, tzinfo=UTC),
        datetime(2026, 1, 12, 18, 30, tzinfo=UTC),
    )


# --- group sessions --------------------------------------------------------------------------

GROUP = replace(SERVICE, name="Yoga", duration=60 * MIN, buffer_after=10 * MIN, capacity=3)
WORKSHOP = replace(GROUP, min_participants=2, minimum_deadline=timedelta(hours=24))
TUESDAY_10 = datetime(2026, 1, 13, 10, 0, tzinfo=UTC)


def with_session(start=TUESDAY_10, taken=1, service_id=1, service=GROUP, **schedule):
    from scheduling.availability import SessionSeats

    blocked = Interval(
        start - service.buffer_before, start + service.duration + service.buffer_after
    )
    session = SessionSeats(7, service_id, start, blocked, taken)
    busy = (*schedule.pop("busy", ()), blocked)
    return provider(busy=busy, sessions=(session,), **schedule)


def test_a_seat_of_a_session_with_one_free_is_accepted_and_offered_with_it():
    snap = snapshot(with_session(taken=2), services={1: GROUP})
    assert refused(snap, TUESDAY_10) is None
    (seat,) = [
        s
        for s in rules.offered_slots(snap, 1, Interval(TUESDAY_10, TUESDAY_10 + 60 * MIN))
        if s.start == TUESDAY_10
    ]
    assert seat.seats_left == 1


def test_a_full_session_is_refused_as_taken_by_its_own_rule():
    snap = snapshot(with_session(taken=3), services={1: GROUP})
    assert_refusal(
        refused(snap, TUESDAY_10),
        "session_has_seat",
        "start",
        rules.SESSION_FULL,
        rules.RefusalKind.TAKEN,
    )
    assert TUESDAY_10 not in offered(snap, TUESDAY_10 - 60 * MIN, TUESDAY_10 + 120 * MIN)


def test_around_a_session_its_time_and_buffers_are_taken():
    snap = snapshot(with_session(), services={1: GROUP})
    # 10:15 overlaps it; 11:00 touches its 10-minute buffer after; 11:15 is free.
    for start in (TUESDAY_10 + 15 * MIN, TUESDAY_10 - 60 * MIN + 15 * MIN, TUESDAY_10 + 60 * MIN):
        assert refused(snap, start).rule == "provider_free", start
    assert refused(snap, TUESDAY_10 + 75 * MIN) is None
    fresh = rules.offered_slots(snap, 1, Interval(TUESDAY_10 + 75 * MIN, TUESDAY_10 + 135 * MIN))
    assert [s.seats_left for s in fresh] == [3]


def test_a_session_of_another_service_is_not_joined():
    snap = snapshot(with_session(service_id=2), services={1: GROUP})
    assert refused(snap, TUESDAY_10).rule == "provider_free"


def test_a_private_service_never_joins_a_session_at_its_start():
    snap = snapshot(with_session(), services={1: replace(GROUP, capacity=1)})
    assert refused(snap, TUESDAY_10).rule == "provider_free"
    assert {
        s.seats_left for s in rules.offered_slots(snap, 1, Interval(NOW, NOW + timedelta(days=2)))
    } == {None}


def test_other_busy_time_over_a_session_still_refuses_its_seats():
    other = Interval(TUESDAY_10 + 30 * MIN, TUESDAY_10 + 45 * MIN)
    snap = snapshot(with_session(busy=(other,)), services={1: GROUP})
    assert refused(snap, TUESDAY_10).rule == "provider_free"


def test_without_session_removes_its_one_interval_only():
    facts = with_session(busy=(Interval(NOW, NOW + MIN),))
    (session,) = facts.schedule.sessions
    assert rules.without_session(facts.schedule, session).busy == (Interval(NOW, NOW + MIN),)


def test_a_seat_adds_nothing_to_the_providers_day_but_a_new_session_does():
    day = TUESDAY_10.date()
    snap = snapshot(with_session(daily_cap=1, appointments_per_day={day: 1}), services={1: GROUP})
    assert refused(snap, TUESDAY_10) is None
    assert refused(snap, TUESDAY_10 + 180 * MIN).rule == "provider_day_open"


def test_no_new_session_opens_inside_its_deadline_but_one_under_way_is_joined():
    snap = snapshot(with_session(service=WORKSHOP), services={1: WORKSHOP})
    late = datetime(2026, 1, 13, 14, 0, tzinfo=UTC)  # 30 h ahead: fine
    assert refused(snap, late) is None
    inside = replace(snap, now=late - timedelta(hours=24) + MIN)
    assert_refusal(
        refused(inside, late),
        "session_opens_in_time",
        "start",
        "A new Yoga session must be booked at least 24 hours ahead; please pick a session "
        "that already has participants, or a later time.",
    )
    assert refused(inside, TUESDAY_10) is None  # the session under way
    at_deadline = replace(snap, now=late - timedelta(hours=24))
    assert refused(at_deadline, late) is None
    assert rules.session_opening_limit(inside, WORKSHOP) == inside.now + timedelta(hours=24)
    starts = offered(inside, TUESDAY_10, late + timedelta(hours=3))
    assert late not in starts and TUESDAY_10 in starts


def test_without_a_minimum_there_is_no_deadline():
    snap = snapshot(services={1: replace(WORKSHOP, min_participants=1)})
    assert rules.session_opening_limit(snap, snap.services[1]) == NOW
    assert refused(snap, datetime(2026, 1, 12, 10, 0, tzinfo=UTC)) is None
