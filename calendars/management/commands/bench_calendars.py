"""Benchmark external calendars: a CalDAV sync from a local Radicale server and availability
with the imported busy time, in a throw-away database.

    python manage.py bench_calendars [--events 2000] [--providers 50] [--days 14]
                                     [--repeat 5] [--json]

A calendar of `--events` events (a year of single events, a tenth recurring series begun in
the past) is uploaded to a Radicale server the command starts on loopback; one provider
connects it.
Printed: the full sync's time and peak Python memory (tracemalloc), the incremental re-sync
after one event changed on the server, and a re-sync with nothing changed; then availability
for all providers over `--days` days with every provider holding that busy time, next to the
same without external calendars, with the queries each ran (the count does not grow with
events or providers). DATABASE_URL picks the engine; the configured database is not touched.
"""

import json
import logging
import random
import statistics
import tempfile
import time as clock
import tracemalloc
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from smartbook.scratch import scratch_database

USER, PASSWORD = "bench", "bench-app-password"
HOURS = (time(8), time(18))


def _event(uid: str, start: datetime, minutes: int, rule: str = "") -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{(start + timedelta(minutes=minutes)).strftime(stamp)}",
        "SUMMARY:Busy",
    ]
    if rule:
        lines.append(f"RRULE:{rule}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def calendar_file(*, events: int, today: datetime, seed: int) -> bytes:
    """`events` VEVENTs as a real calendar holds them: single events over the past 300 days
    and the next 65, and a tenth recurring series begun in the past (weekly without end,
    twice a week until a date, or daily for 60 days)."""
    rng = random.Random(seed)
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\n"]
    for index in range(events):
        minutes = rng.choice((15, 30, 45, 60, 90))
        at = {"hour": rng.randrange(7, 19), "minute": rng.choice((0, 15, 30, 45))}
        if index % 10 == 0:
            start = (today - timedelta(days=rng.randrange(1, 200))).replace(**at)
            until = (today + timedelta(days=rng.randrange(10, 120))).strftime("%Y%m%dT000000Z")
            rule = rng.choice(
                ("FREQ=WEEKLY", f"FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={until}", "FREQ=DAILY;COUNT=60")
            )
            parts.append(_event(f"series-{index}", start, minutes, rule))
        else:
            start = (today + timedelta(days=rng.randrange(-300, 66))).replace(**at)
            parts.append(_event(f"event-{index}", start, minutes))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


def _timed(function):
    started = clock.perf_counter()
    result = function()
    return result, clock.perf_counter() - started


class Command(BaseCommand):
    help = "Measure a CalDAV sync (time, memory, incremental) and availability with busy time."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=2000)
        parser.add_argument("--providers", type=int, default=50)
        parser.add_argument("--days", type=int, default=14, help="Availability window.")
        parser.add_argument("--repeat", type=int, default=5, help="Runs per median.")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        for name in ("events", "providers", "days", "repeat"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        logging.getLogger("radicale").setLevel(logging.ERROR)
        with (
            scratch_database("bench_calendars"),
            # Loopback allowed, and the sync's timeout as generous as the client's.
            override_settings(
                CALENDAR_ALLOWED_NETWORKS=["127.0.0.0/8"], CALENDAR_TIMEOUT_SECONDS=120
            ),
            tempfile.TemporaryDirectory(prefix="bench_radicale_") as folder,
        ):
            results = self.run_benchmark(options, Path(folder))
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            self.print_table(results)

    def build_clinic(self, *, providers: int, days: int):
        from accounts.models import Role, User
        from providers.models import Provider, Service, ServiceCategory, WorkingHours
        from scheduling.models import BookingPolicy

        policy = BookingPolicy.load()
        policy.horizon_days = max(policy.horizon_days, days + 2)
        policy.save()
        category = ServiceCategory.objects.create(name="Bench", slug="bench")
        service = Service.objects.create(category=category, name="Visit", duration_minutes=30)
        users = User.objects.bulk_create(
            User(email=f"provider{i}@bench.invalid", role=Role.PROVIDER, password="!")
            for i in range(providers)
        )
        rows = Provider.objects.bulk_create(
            Provider(user=user, display_name=f"Provider {i}", timezone="Europe/London")
            for i, user in enumerate(users)
        )
        Provider.services.through.objects.bulk_create(
            Provider.services.through(provider_id=p.pk, service_id=service.pk) for p in rows
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=p, weekday=day, start_time=HOURS[0], end_time=HOURS[1])
            for p in rows
            for day in range(7)
        )
        return service, rows

    def run_benchmark(self, options, folder: Path) -> dict:
        from calendars import services
        from calendars.models import CalendarConnection
        from calendars.testing import RadicaleServer
        from providers.models import ExternalBusy
        from providers.services import BusyPeriod, busy_source_create, external_busy_replace
        from scheduling.selectors import available_slots

        service, providers = self.build_clinic(providers=options["providers"], days=options["days"])
        window_start = datetime.combine(
            (datetime.now(UTC) + timedelta(days=1)).date(), time(0), tzinfo=UTC
        )
        window_end = window_start + timedelta(days=options["days"])
        radicale = RadicaleServer(folder, {USER: PASSWORD})
        try:
            # Generous timeouts: a shared machine may make the local server slow to answer.
            client = radicale.client(USER, PASSWORD, timeout=300)
            calendar = client.principal().make_calendar(name="Busy")
            data = calendar_file(events=options["events"], today=window_start, seed=options["seed"])
            # Radicale takes a whole calendar in one PUT on the collection (one object each).
            answer = client.put(str(calendar.url), data, {"Content-Type": "text/calendar"})
            if answer.status not in (200, 201, 204):
                raise CommandError(f"Radicale refused the calendar upload ({answer.status}).")
            objects = calendar.objects(load_objects=False)

            connection_row, first_seconds = _timed(
                lambda: services.connection_create_caldav(
                    provider=providers[0],
                    url=radicale.url,
                    username=USER,
                    password=PASSWORD,
                    actor=None,
                )
            )

            def full_sync():
                CalendarConnection.objects.filter(pk=connection_row.pk).update(
                    expanded_until=None, next_attempt_at=None
                )
                return services.connection_sync(connection_id=connection_row.pk)

            synced, full_seconds = _timed(full_sync)
            if synced.last_error:
                raise CommandError(f"The sync failed: {synced.last_error}")
            imported = synced.events_imported
            # Memory of a full read, apart (tracemalloc slows what it watches).
            tracemalloc.start()
            full_sync()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            # One event changed on the server.
            changed = next(
                obj for obj in calendar.objects(load_objects=True) if "event-" in obj.data
            )
            component = changed.icalendar_component
            component["DTSTART"].dt += timedelta(hours=1)
            component["DTEND"].dt += timedelta(hours=1)
            changed.save()
            _, incremental_seconds = _timed(
                lambda: services.connection_sync(connection_id=connection_row.pk)
            )
            _, unchanged_seconds = _timed(
                lambda: services.connection_sync(connection_id=connection_row.pk)
            )
        finally:
            radicale.stop()

        def measure() -> tuple[float, int, int]:
            runs, queries, count = [], 0, 0
            for _ in range(options["repeat"]):
                with CaptureQueriesContext(connection) as captured:
                    slots, seconds = _timed(
                        lambda: available_slots(service=service, start=window_start, end=window_end)
                    )
                runs.append(seconds)
                queries, count = len(captured.captured_queries), len(slots)
            return statistics.median(runs) * 1000, queries, count

        # Every provider holds the same busy time (50 x the imported occurrences).
        template = list(
            ExternalBusy.objects.filter(provider=providers[0]).values_list("uid", "start", "end")
        )
        for provider in providers[1:]:
            source = busy_source_create(provider=provider, label="Bench copy")
            external_busy_replace(
                source_id=source.pk,
                periods=[BusyPeriod(uid=uid, start=s, end=e) for uid, s, e in template],
                synced_at=datetime.now(UTC),
            )
        with_ms, with_queries, with_slots = measure()
        busy_rows = ExternalBusy.objects.count()
        ExternalBusy.objects.all().delete()
        without_ms, without_queries, without_slots = measure()
        return {
            "engine": connection.vendor,
            "events": options["events"],
            "recurring_events": (options["events"] + 9) // 10,
            "calendar_objects": len(objects),
            "occurrences_imported": imported,
            "first_connect_and_sync_s": round(first_seconds, 3),
            "full_sync_s": round(full_seconds, 3),
            "full_sync_peak_python_mb": round(peak / (1024 * 1024), 1),
            "incremental_resync_one_changed_s": round(incremental_seconds, 3),
            "resync_nothing_changed_s": round(unchanged_seconds, 3),
            "providers": options["providers"],
            "days": options["days"],
            "external_busy_rows": busy_rows,
            "availability_with_busy_ms": round(with_ms, 1),
            "availability_with_busy_queries": with_queries,
            "availability_with_busy_slots": with_slots,
            "availability_without_ms": round(without_ms, 1),
            "availability_without_queries": without_queries,
            "availability_without_slots": without_slots,
        }

    def print_table(self, results: dict) -> None:
        width = max(map(len, results))
        for name, value in results.items():
            self.stdout.write(f"{name.ljust(width)}  {value}")
