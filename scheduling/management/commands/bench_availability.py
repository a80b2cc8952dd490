"""Benchmark availability and booking on a synthetic clinic in a throw-away database.

    python manage.py bench_availability [--json] [--size default|large] [--providers N]
                                        [--days N] [--appointments N] [--repeat 7]

`--size default` is 50 providers x 14 days x 5,000 appointments, `--size large` 200 providers
x 28 days x 40,000; `--providers`, `--days` and `--appointments` override either.

Next to all providers' availability it prints its floor: the exact SQL statements the
snapshot loader ran, executed alone on a raw cursor with every row fetched, timed the same
way and in alternation with it (both meet the same machine). The ratio of the two is the cost
of the Python above the database.

DATABASE_URL picks the engine. The command creates its own database the way the test
runner does (a temporary SQLite file, or a `bench_...` PostgreSQL database), fills it,
measures, and drops it: the configured database is never touched.
"""

import json
import random
import statistics
import time as clock
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import events
from smartbook.scratch import scratch_database

ZONES = ["Europe/London", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]
DAY_HOURS = [(time(8), time(12)), (time(13), time(18))]  # a lunch break splits each day
SIZES = {  # (providers, days, appointments)
    "default": (50, 14, 5000),
    "large": (200, 28, 40000),
}


@contextmanager
def recorded_statements(into: list[tuple[str, object]]):
    """Append the (sql, params) of every statement run on the default connection."""

    def record(execute, sql, params, many, context):
        into.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def run_statements(statements: list[tuple[str, object]]) -> int:
    """Run recorded statements alone on a raw cursor, fetching every row; rows fetched."""
    fetched = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if cursor.description is not None:
                fetched += len(cursor.fetchall())
    return fetched


@contextmanager
def muted_side_effects():
    """Time the booking transaction itself: notification receivers (Celery tasks, run
    in-process when no broker is configured) are detached while bookings are timed."""
    signals = [
        events.appointment_booked,
        events.appointment_rescheduled,
        events.appointment_cancelled,
        events.appointment_completed,
        events.appointment_no_show,
    ]
    saved = [(signal, signal.receivers) for signal in signals]
    for signal in signals:
        signal.receivers = []
        signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()


class Command(BaseCommand):
    help = "Measure availability (queries, median ms) and booking throughput on a synthetic clinic."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="default",
            help="default: 50 providers x 14 days x 5,000 appointments; large: 200 x 28 x 40,000.",
        )
        parser.add_argument("--providers", type=int, help="Overrides the size's providers.")
        parser.add_argument("--days", type=int, help="Overrides the size's days.")
        parser.add_argument("--appointments", type=int, help="Overrides the size's appointments.")
        parser.add_argument("--repeat", type=int, default=7, help="Runs per median.")
        parser.add_argument("--bookings", type=int, default=200, help="Bookings to time.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        for name, value in zip(
            ("providers", "days", "appointments"), SIZES[options["size"]], strict=True
        ):
            if options[name] is None:
                options[name] = value
        for name in ("providers", "days", "repeat", "bookings"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if options["appointments"] < 0:
            raise CommandError("--appointments cannot be negative.")
        with scratch_database("bench"):
            results = self.run_benchmark(options)
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            self.print_table(results)

    # --- the synthetic clinic ------------------------------------------------------------

    def build_clinic(self, *, providers: int, days: int, appointments: int, seed: int):
        from accounts.models import Role, User
        from providers.models import Provider, Service, ServiceCategory, WorkingHours
        from scheduling.availability import ProviderSchedule, WeeklyInterval, working_intervals
        from scheduling.models import Appointment, BookingPolicy

        rng = random.Random(seed)
        policy = BookingPolicy.load()
        policy.horizon_days = max(policy.horizon_days, days + 2)
        policy.max_client_appointments_per_day = None
        policy.save()
        category = ServiceCategory.objects.create(name="Bench", slug="bench")
        service = Service.objects.create(category=category, name="Visit", duration_minutes=30)
        users = User.objects.bulk_create(
            User(email=f"provider{i}@bench.invalid", role=Role.PROVIDER, password="!")
            for i in range(providers)
        )
        provider_rows = Provider.objects.bulk_create(
            Provider(
                user=user,
                display_name=f"Provider {i}",
                timezone=ZONES[i % len(ZONES)],
                country="GB" if i % 5 == 0 else "",
            )
            for i, user in enumerate(users)
        )
        Provider.services.through.objects.bulk_create(
            Provider.services.through(provider_id=p.pk, service_id=service.pk)
            for p in provider_rows
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=p, weekday=day, start_time=start, end_time=end)
            for p in provider_rows
            for day in range(7)
            for start, end in DAY_HOURS
        )
        window_start = datetime.combine(
            (datetime.now(UTC) + timedelta(days=1)).date(), time(0), tzinfo=UTC
        )
        window_end = window_start + timedelta(days=days)
        # Candidate 30-minute slots of every provider, then a random sample becomes bookings.
        duration = timedelta(minutes=30)
        candidates = []
        weekly = tuple(WeeklyInterval(day, s, e) for day in range(7) for s, e in DAY_HOURS)
        for p in provider_rows:
            schedule = ProviderSchedule(provider_id=p.pk, timezone=p.timezone, weekly_hours=weekly)
            for interval in working_intervals(
                schedule, window_start.date(), (window_end - timedelta(days=1)).date()
            ):
                start = interval.start
                while start + duration <= interval.end:
                    if window_start <= start and start + duration <= window_end:
                        candidates.append((p.pk, start))
                    start += duration
        chosen = rng.sample(candidates, min(appointments, len(candidates)))
        # Clients must not overlap either: one client per appointment at a given instant.
        per_start: dict[datetime, int] = defaultdict(int)
        rows = []
        for provider_id, start in chosen:
            rows.append((provider_id, start, per_start[start]))
            per_start[start] += 1
        clients = User.objects.bulk_create(
            User(email=f"client{i}@bench.invalid", role=Role.CLIENT, password="!")
            for i in range(max(per_start.values(), default=0))
        )
        Appointment.objects.bulk_create(
            (
                Appointment(
                    client=clients[index],
                    provider_id=provider_id,
                    service=service,
                    start=start,
                    end=start + duration,
                    blocked_start=start,
                    blocked_end=start + duration,
                )
                for provider_id, start, index in rows
            ),
            batch_size=1000,
        )
        return service, provider_rows, window_start, window_end, len(rows)

    # --- measurements --------------------------------------------------------------------

    @staticmethod
    def measure(function, repeat: int) -> tuple[float, float, int, object]:
        """Median wall-clock and CPU milliseconds of `repeat` runs, and one run's queries."""
        with CaptureQueriesContext(connection) as captured:
            result = function()
        queries = len(captured.captured_queries)
        wall, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = clock.perf_counter(), clock.process_time()
            function()
            wall.append((clock.perf_counter() - started) * 1000)
            cpu.append((clock.process_time() - started_cpu) * 1000)
        return statistics.median(wall), statistics.median(cpu), queries, result

    @staticmethod
    def alternated(functions, repeat: int) -> list[tuple[float, float]]:
        """Median wall-clock and CPU milliseconds of each function over `repeat` rounds, the
        functions run one after another in every round."""
        wall: list[list[float]] = [[] for _ in functions]
        cpu: list[list[float]] = [[] for _ in functions]
        for _ in range(repeat):
            for index, function in enumerate(functions):
                started, started_cpu = clock.perf_counter(), clock.process_time()
                function()
                wall[index].append((clock.perf_counter() - started) * 1000)
                cpu[index].append((clock.process_time() - started_cpu) * 1000)
        return [
            (statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)
        ]

    def run_benchmark(self, options) -> dict:
        from accounts.models import Role, User
        from scheduling.selectors import available_slots
        from scheduling.services import appointment_book

        service, provider_rows, start, end, created = self.build_clinic(
            providers=options["providers"],
            days=options["days"],
            appointments=options["appointments"],
            seed=options["seed"],
        )
        first = provider_rows[0]
        repeat = options["repeat"]
        one_ms, one_cpu, one_queries, one_slots = self.measure(
            lambda: available_slots(service=service, start=start, end=end, providers=[first]),
            repeat,
        )

        # The first ask (cold caches) and its queries, then the floor: the same statements
        # alone, as the database and driver serve them. The two are timed in alternation, so
        # both meet the same machine (a shared one would otherwise favour either).
        def all_providers():
            return available_slots(service=service, start=start, end=end)

        started = clock.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            all_slots = all_providers()
        all_first_ms = (clock.perf_counter() - started) * 1000
        all_queries = len(captured.captured_queries)
        statements: list[tuple[str, object]] = []
        with recorded_statements(statements):
            all_providers()
        floor_rows = run_statements(statements)
        (all_ms, all_cpu), (floor_ms, floor_cpu) = self.alternated(
            (all_providers, lambda: run_statements(statements)), repeat
        )
        # Sequential bookings of distinct open slots, each by a new client.
        picks, last_end = [], {}
        for slot in all_slots:
            if slot.start >= last_end.get(slot.provider_id, slot.start):
                picks.append(slot)
                last_end[slot.provider_id] = slot.end
            if len(picks) == options["bookings"]:
                break
        clients = User.objects.bulk_create(
            User(email=f"booker{i}@bench.invalid", role=Role.CLIENT, password="!")
            for i in range(len(picks))
        )
        providers_by_id = {p.pk: p for p in provider_rows}
        booking_queries = 0
        with muted_side_effects():
            started = clock.perf_counter()
            for index, (client, slot) in enumerate(zip(clients, picks, strict=True)):
                with CaptureQueriesContext(connection) as captured:
                    appointment_book(
                        client=client,
                        provider=providers_by_id[slot.provider_id],
                        service=service,
                        start=slot.start,
                    )
                if index == 0:
                    booking_queries = len(captured.captured_queries)
            elapsed = clock.perf_counter() - started
        return {
            "database": connection.vendor,
            "providers": len(provider_rows),
            "days": options["days"],
            "appointments": created,
            "repeat": repeat,
            "one_provider_ms": round(one_ms, 2),
            "one_provider_cpu_ms": round(one_cpu, 2),
            "one_provider_queries": one_queries,
            "one_provider_slots": len(one_slots),
            "all_providers_ms": round(all_ms, 2),
            "all_providers_cpu_ms": round(all_cpu, 2),
            "all_providers_queries": all_queries,
            "all_providers_first_ms": round(all_first_ms, 2),
            "all_providers_slots": len(all_slots),
            "floor_ms": round(floor_ms, 2),
            "floor_cpu_ms": round(floor_cpu, 2),
            "floor_queries": len(statements),
            "floor_rows": floor_rows,
            "all_providers_over_floor": round(all_ms / floor_ms, 2) if floor_ms > 0 else None,
            "bookings": len(picks),
            "booking_queries": booking_queries,
            "bookings_per_second": round(len(picks) / elapsed, 1) if elapsed > 0 else 0.0,
        }

    def print_table(self, results: dict) -> None:
        self.stdout.write(
            f"Synthetic clinic on {results['database']}: {results['providers']} providers, "
            f"{results['days']} days, {results['appointments']} appointments "
            f"(median of {results['repeat']} runs)"
        )
        self.stdout.write(f"{'measure':<30}{'ms':>10}{'cpu ms':>10}{'queries':>10}{'slots':>10}")
        for label, key in (("one provider", "one_provider"), ("all providers", "all_providers")):
            self.stdout.write(
                f"{label + ' availability':<30}{results[key + '_ms']:>10.1f}"
                f"{results[key + '_cpu_ms']:>10.1f}{results[key + '_queries']:>10}"
                f"{results[key + '_slots']:>10}"
            )
        self.stdout.write(
            f"{'  first ask (cold caches)':<30}{results['all_providers_first_ms']:>10.1f}"
        )
        self.stdout.write(
            f"{'floor (its SQL alone)':<30}{results['floor_ms']:>10.1f}"
            f"{results['floor_cpu_ms']:>10.1f}{results['floor_queries']:>10}"
            f"{results['floor_rows']:>10} rows"
        )
        self.stdout.write(
            f"{'all providers / floor':<30}{results['all_providers_over_floor']:>10.2f}x"
        )
        self.stdout.write(
            f"{'sequential bookings':<30}{results['bookings_per_second']:>10.1f} per second "
            f"({results['bookings']} bookings, {results['booking_queries']} queries each)"
        )
