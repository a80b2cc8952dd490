import json
import statistics
import time as clock
from datetime import timedelta

import numpy as np
from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from recommendations.selectors import POPULATION_CACHE_KEY
from recommendations.services import recommendation_for_client
from recommendations.simulator import build_clinic
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy


class Rollback(Exception):
    pass


def _occupy(clinic, *, start, days: int, rng: np.random.Generator, share: float) -> int:
    """Fill about `share` of each provider's working time with appointments (direct rows)."""
    from scheduling.availability import working_intervals
    from scheduling.selectors import provider_schedules

    service = clinic.services[0]
    length = timedelta(minutes=service.duration_minutes)
    rows = []
    schedules = provider_schedules(
        providers=clinic.providers, start=start, end=start + timedelta(days=days)
    )
    for provider, schedule in zip(clinic.providers, schedules, strict=True):
        for work in working_intervals(
            schedule, start.date(), (start + timedelta(days=days)).date()
        ):
            cursor = work.start
            while cursor + length <= work.end:
                if rng.random() < share:
                    rows.append(
                        Appointment(
                            client=clinic.users[int(rng.integers(1, len(clinic.users)))],
                            provider=provider,
                            service=service,
                            start=cursor,
                            end=cursor + length,
                            blocked_start=cursor,
                            blocked_end=cursor + length,
                            status=AppointmentStatus.BOOKED,
                        )
                    )
                cursor += length
    # One client may not hold two overlapping appointments: give each row its own client
    # where needed by spreading over the simulated clients.
    seen: dict = {}
    for row in rows:
        key = (row.client_id, row.start)
        while key in seen:
            row.client = clinic.users[int(rng.integers(1, len(clinic.users)))]
            key = (row.client_id, row.start)
        seen[key] = True
    Appointment.objects.bulk_create(rows)
    return len(rows)


class Command(BaseCommand):
    help = (
        "Latency of one recommendation over N providers and D days (median, p95). Builds a "
        "throw-away clinic inside a transaction that is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--providers", type=int, default=20)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        result: dict = {}
        try:
            with transaction.atomic():
                result = self._run(options)
                raise Rollback
        except Rollback:
            pass
        finally:
            # Patterns cached from the simulated clinic must not outlive it.
            cache.delete(POPULATION_CACHE_KEY)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"{result['providers']} providers x {result['days']} days, "
                f"{result['candidates']} candidate slots: median {result['median_ms']} ms, "
                f"p95 {result['p95_ms']} ms over {result['runs']} runs"
            )

    def _run(self, options) -> dict:
        rng = np.random.default_rng(1)
        BookingPolicy.objects.update_or_create(pk=1, defaults={"horizon_days": 366})
        clinic = build_clinic(rng=rng, provider_count=options["providers"], client_count=40)
        for provider in clinic.providers:  # every provider offers the benchmarked service
            provider.services.add(clinic.services[0])
        start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        booked = _occupy(clinic, start=start, days=options["days"], rng=rng, share=0.4)
        client = clinic.users[0]  # holds none of the appointments: every open slot is a candidate
        service = clinic.services[0]
        for weeks in range(1, 9):  # but a history, so every feature has work to do
            past = start - timedelta(weeks=weeks, hours=-10)
            Appointment.objects.create(
                client=client,
                provider=clinic.providers[weeks % 3],
                service=service,
                start=past,
                end=past + timedelta(minutes=service.duration_minutes),
                blocked_start=past,
                blocked_end=past + timedelta(minutes=service.duration_minutes),
                status=AppointmentStatus.COMPLETED,
            )
        timings, candidates = [], 0
        for run in range(options["runs"] + 3):
            began = clock.perf_counter()
            recommendation = recommendation_for_client(
                client=client,
                service=clinic.services[0],
                start=start,
                end=start + timedelta(days=options["days"]),
                limit=5,
            )
            elapsed = (clock.perf_counter() - began) * 1000
            if run >= 3:  # warm-up: imports, caches
                timings.append(elapsed)
            candidates = recommendation.log.candidate_count
        timings.sort()
        return {
            "providers": options["providers"],
            "days": options["days"],
            "appointments": booked,
            "candidates": candidates,
            "runs": options["runs"],
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        }
