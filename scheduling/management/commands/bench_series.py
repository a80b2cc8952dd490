"""Benchmark checking and booking a recurring series in a throw-away database.

    python manage.py bench_series [--json] [--weeks 52] [--busy 2000] [--repeat 7] [--seats 1]

A provider in New York (Monday to Friday 08:00-18:00, the clinic's year filled with `--busy`
other appointments, one of them on the series' tenth Monday at 09:00 so one occurrence is
refused and gets alternatives) and a client who books a weekly 09:00 series of `--weeks`
occurrences across both DST changes. Printed, median of `--repeat` runs: the check
(`series_check`), the booking of every occurrence that fits in one transaction
(`series_book`, notification side effects detached as in bench_availability), and, for
comparison, the same occurrences booked one `appointment_book` at a time; the queries each
ran. The goal: checking and booking a 52-week series under 300 ms, with a query count that
does not grow with the series. With `--seats` above 1 the service is a group class: each
occurrence takes a seat in the session of its week (opened by the series' booking).

DATABASE_URL picks the engine; the configured database is never touched (as
bench_availability).
"""

import json
import random
import statistics
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.management.commands.bench_availability import muted_side_effects
from smartbook.scratch import scratch_database

NEW_YORK = ZoneInfo("America/New_York")
GOAL_MS = 300.0


class Command(BaseCommand):
    help = "Measure checking and booking a recurring series (median ms, queries)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--weeks", type=int, default=52, help="Occurrences of the series.")
        parser.add_argument("--busy", type=int, default=2000, help="Other appointments.")
        parser.add_argument("--repeat", type=int, default=7, help="Runs per median.")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--seats", type=int, default=1, help="Seats per session (above 1: a group class)."
        )

    def handle(self, *args, **options):
        if not 2 <= options["weeks"] <= 104:
            raise CommandError("--weeks must be from 2 to 104.")
        if not 1 <= options["seats"] <= 500:
            raise CommandError("--seats must be from 1 to 500.")
        if options["repeat"] < 1 or options["busy"] < 0:
            raise CommandError("--repeat must be at least 1 and --busy not negative.")
        with scratch_database("bench"):
            results = self.run_benchmark(options)
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            self.print_table(results)

    def build_clinic(self, *, weeks: int, busy: int, seed: int, seats: int = 1):
        from accounts.models import Role, User
        from providers.models import Provider, Service, ServiceCategory, WorkingHours
        from scheduling.models import Appointment, BookingPolicy

        policy = BookingPolicy.load()
        policy.series_horizon_days = 731
        policy.series_max_occurrences = 104
        policy.max_client_appointments_per_day = None
        policy.save()
        category = ServiceCategory.objects.create(name="Bench", slug="bench")
        service = Service.objects.create(
            category=category, name="Physio", duration_minutes=45, capacity=seats
        )
        provider_user = User.objects.create(
            email="provider@bench.invalid", role=Role.PROVIDER, password="!"
        )
        provider = Provider.objects.create(
            user=provider_user, display_name="Dr. Bench", timezone="America/New_York"
        )
        provider.services.add(service)
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=day, start_time=time(8), end_time=time(18))
            for day in range(5)
        )
        client = User.objects.create(
            email="client@bench.invalid", role=Role.CLIENT, password="!", timezone="Europe/London"
        )
        others = User.objects.bulk_create(
            User(email=f"other{i}@bench.invalid", role=Role.CLIENT, password="!") for i in range(50)
        )
        # The series: Mondays at 09:00 from the first Monday a week ahead.
        today = datetime.now(NEW_YORK).date()
        first_day = today + timedelta(days=7 + (0 - today.weekday()) % 7)
        first = datetime.combine(first_day, time(9), tzinfo=NEW_YORK)
        rng = random.Random(seed)
        rows, taken = [], set()
        conflict = datetime.combine(first_day + timedelta(weeks=9), time(9), tzinfo=NEW_YORK)
        wanted = [conflict]
        while len(wanted) < busy + 1:
            day = first_day + timedelta(days=rng.randrange(0, 7 * weeks))
            if day.weekday() >= 5:
                continue
            hour = rng.randrange(8, 17)  # on the hour: 45 minutes never reach the next
            start = datetime.combine(day, time(hour), tzinfo=NEW_YORK)
            if day.weekday() == 0 and hour == 9:
                continue  # the series' own Mondays stay free but for the one conflict
            wanted.append(start)
        for start in wanted:
            key = (start.date(), start.hour)
            if key in taken:
                continue
            taken.add(key)
            start = start.astimezone(UTC)
            end = start + timedelta(minutes=45)
            rows.append(
                Appointment(
                    client=rng.choice(others),
                    provider=provider,
                    service=service,
                    start=start,
                    end=end,
                    blocked_start=start,
                    blocked_end=end,
                )
            )
        Appointment.objects.bulk_create(rows, batch_size=1000)
        return provider, service, client, first, len(rows)

    def run_benchmark(self, options) -> dict:
        from scheduling import series as series_services
        from scheduling.models import Appointment, AppointmentStatus
        from scheduling.recurrence import Frequency, Recurrence
        from scheduling.services import appointment_book

        weeks = options["weeks"]
        provider, service, client, first, busy = self.build_clinic(
            weeks=weeks, busy=options["busy"], seed=options["seed"], seats=options["seats"]
        )
        rule = Recurrence(Frequency.WEEKLY, count=weeks)

        def check():
            return series_services.series_check(
                client=client, provider=provider, service=service, first_start=first, rule=rule
            )

        def book():
            return series_services.series_book(
                client=client,
                provider=provider,
                service=service,
                first_start=first,
                rule=rule,
                mode="available",
                actor=client,
            )

        def undo(ids):
            Appointment.objects.filter(pk__in=ids).update(status=AppointmentStatus.CANCELLED)

        def timed(action, after=None):
            walls, queries, result = [], 0, None
            for _ in range(options["repeat"]):
                with CaptureQueriesContext(connection) as captured:
                    started = clock.perf_counter()
                    result = action()
                    walls.append((clock.perf_counter() - started) * 1000)
                queries = len(captured)
                if after is not None:
                    after(result)
            return statistics.median(walls), queries, result

        plan = check()
        refused = [c for c in plan.checks if not c.available]
        with muted_side_effects():
            check_ms, check_queries, _ = timed(check)
            book_ms, book_queries, booked = timed(
                book, after=lambda b: undo([a.pk for a in b.appointments])
            )
            starts = [c.start for c in plan.checks if c.available]

            def one_at_a_time():
                return [
                    appointment_book(
                        client=client,
                        provider=provider,
                        service=service,
                        start=s,
                        override_policy=True,  # the system: a year ahead is past the horizon
                    ).pk
                    for s in starts
                ]

            single_ms, single_queries, _ = timed(one_at_a_time, after=undo)
        return {
            "engine": connection.vendor,
            "weeks": weeks,
            "seats": options["seats"],
            "other_appointments": busy,
            "refused": len(refused),
            "refused_alternatives": [len(c.alternatives) for c in refused],
            "booked": len(booked.appointments),
            "local_times": sorted(
                {a.start.astimezone(NEW_YORK).strftime("%H:%M") for a in booked.appointments}
            ),
            "check_ms": round(check_ms, 1),
            "check_queries": check_queries,
            "book_ms": round(book_ms, 1),
            "book_queries": book_queries,
            "check_and_book_ms": round(check_ms + book_ms, 1),
            "goal_ms": GOAL_MS,
            "goal_met": check_ms + book_ms < GOAL_MS,
            "one_at_a_time_ms": round(single_ms, 1),
            "one_at_a_time_queries": single_queries,
            "repeat": options["repeat"],
            "first_start": first.isoformat(),
        }

    def print_table(self, r: dict) -> None:
        self.stdout.write(
            f"{r['engine']}: a {r['weeks']}-week series at 09:00 New York"
            + (f" of a group class ({r['seats']} seats)" if r["seats"] > 1 else "")
            + f" (local times booked: "
            f"{', '.join(r['local_times'])}), {r['other_appointments']} other appointments, "
            f"{r['refused']} occurrence refused (alternatives: {r['refused_alternatives']}), "
            f"{r['booked']} booked; median of {r['repeat']}"
        )
        rows = [
            ("check (series_check)", r["check_ms"], r["check_queries"]),
            ("book all that fit (series_book)", r["book_ms"], r["book_queries"]),
            ("check + book", r["check_and_book_ms"], r["check_queries"] + r["book_queries"]),
            (
                "the same, one appointment_book each",
                r["one_at_a_time_ms"],
                r["one_at_a_time_queries"],
            ),
        ]
        for name, ms, queries in rows:
            self.stdout.write(f"  {name:<38} {ms:>8.1f} ms  {queries:>5} queries")
        verdict = "met" if r["goal_met"] else "NOT met"
        self.stdout.write(f"  goal: check + book under {r['goal_ms']:.0f} ms: {verdict}")
