"""Benchmark the webhooks on a throw-away database.

    python manage.py bench_webhooks [--json] [--bookings 300] [--deliveries 1000] [--processes 1]

1. Booking latency with no endpoint and with five registered, in the same run: bookings
   through `scheduling.services.appointment_book`, with every on-commit receiver running as
   in production (tasks go to an in-memory broker instead of Redis, so the request's own
   share is what is timed: the webhook receiver writes the deliveries and enqueues them).
   The two cases alternate in rounds, so both meet the same machine.
2. Delivery throughput: pending deliveries sent by the worker's code path
   (`deliveries_send_due`) to a receiver on loopback, signed, one HTTP request each;
   `--processes 2` forks two senders, as a Celery worker's default pool on two cores
   (PostgreSQL only: the claims skip each other's locked rows).

DATABASE_URL picks the engine; the configured database is never touched.
"""

import json
import multiprocessing
import statistics
import threading
import time as clock
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test.utils import override_settings

from smartbook.scratch import scratch_database

ROUNDS = 6
ENDPOINTS = 5


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a proxy
    disable_nagle_algorithm = True  # else each small reply waits for a delayed ACK (40 ms)

    def do_POST(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _send_in_processes(send_due, count: int, processes: int) -> int:
    """Attempts made by `processes` forked senders (one: this process) until none is due."""
    if processes == 1:
        return send_due(limit=count)
    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def child() -> None:
        results.put(send_due(limit=count))
        connections.close_all()

    children = [context.Process(target=child) for _ in range(processes)]
    for process in children:
        process.start()
    attempted = sum(results.get(timeout=600) for _ in children)
    for process in children:
        process.join(timeout=60)
    return attempted


class Command(BaseCommand):
    help = "Measure booking latency with and without webhook endpoints, and delivery throughput."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--bookings", type=int, default=300, help="Bookings per case.")
        parser.add_argument("--deliveries", type=int, default=1000, help="Deliveries to send.")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Sending processes, as a worker's pool (PostgreSQL: claims skip locked rows).",
        )

    def handle(self, *args, **options):
        if options["bookings"] < ROUNDS or options["deliveries"] < 1:
            raise CommandError(f"--bookings must be at least {ROUNDS}, --deliveries at least 1.")
        from smartbook.celery import app

        saved = (app.conf.task_always_eager, app.conf.broker_url)
        app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with (
                scratch_database("bench_webhooks"),
                override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"]),
            ):
                results = self.run_benchmark(options, port=server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
            app.conf.task_always_eager, app.conf.broker_url = saved
        if options["json"]:
            self.stdout.write(json.dumps(results))
            return
        self.stdout.write(
            f"Webhooks on {results['database']} ({results['bookings_per_case']} bookings per "
            f"case, alternated in {ROUNDS} rounds)\n"
            f"booking, no endpoint       median {results['booking_ms_without']['median']:.1f} ms"
            f"   p95 {results['booking_ms_without']['p95']:.1f} ms\n"
            f"booking, {ENDPOINTS} endpoints        median "
            f"{results['booking_ms_with']['median']:.1f} ms"
            f"   p95 {results['booking_ms_with']['p95']:.1f} ms\n"
            f"delivery throughput        {results['deliveries_per_second']:.0f} per second "
            f"({results['deliveries']} signed requests to a loopback receiver, "
            f"{results['processes']} process(es))"
        )

    def run_benchmark(self, options, *, port: int) -> dict:
        from accounts.models import Role, User
        from integrations import services
        from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
        from providers.models import Provider, Service, ServiceCategory, WorkingHours
        from scheduling.models import BookingPolicy
        from scheduling.services import appointment_book

        policy = BookingPolicy.load()
        policy.max_client_appointments_per_day = None
        policy.horizon_days = 365
        policy.save()
        category = ServiceCategory.objects.create(name="Bench", slug="bench")
        service = Service.objects.create(category=category, name="Visit", duration_minutes=30)
        user = User.objects.create_user(email="provider@bench.invalid", role=Role.PROVIDER)
        provider = Provider.objects.create(user=user, display_name="Bench", timezone="UTC")
        provider.services.add(service)
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=day, start_time=time(0), end_time=time(23, 30))
            for day in range(7)
        )
        per_case = options["bookings"]
        clients = User.objects.bulk_create(
            User(email=f"client{i}@bench.invalid", role=Role.CLIENT, password="!")
            for i in range(2 * per_case)
        )
        first_day = datetime.combine(
            datetime.now(UTC).date() + timedelta(days=2), time(0), tzinfo=UTC
        )
        starts = (first_day + timedelta(minutes=30 * i) for i in range(10**6))
        starts = (start for start in starts if start.time() < time(23))
        endpoints = [
            services.endpoint_create(
                url=f"http://127.0.0.1:{port}/hook/{n}", events=["appointment.booked"]
            )
            for n in range(ENDPOINTS)
        ]
        timings: dict[bool, list[float]] = {False: [], True: []}
        client_iter = iter(clients)
        for _ in range(ROUNDS):
            for with_endpoints in (False, True):
                WebhookEndpoint.objects.update(is_active=with_endpoints)
                for _ in range(per_case // ROUNDS):
                    start = next(starts)
                    began = clock.perf_counter()
                    appointment_book(
                        client=next(client_iter), provider=provider, service=service, start=start
                    )
                    timings[with_endpoints].append((clock.perf_counter() - began) * 1000)
        written = WebhookDelivery.objects.count()

        # Throughput: the deliveries just written, sent by the worker's code path.
        WebhookEndpoint.objects.update(is_active=True)
        WebhookDelivery.objects.all().delete()
        template = {"type": "appointment.booked", "data": {"appointment": {"id": 1}}}
        count = options["deliveries"]
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoints[n % ENDPOINTS],
                event_id=f"msg_bench{n}",
                event_type="appointment.booked",
                appointment_id=n,
                payload={**template, "id": f"msg_bench{n}"},
                next_attempt_at=first_day - timedelta(days=3),
            )
            for n in range(count)
        )
        processes = options["processes"]
        if processes > 1 and connection.vendor != "postgresql":
            raise CommandError("--processes above 1 needs PostgreSQL (row locks skipped).")
        began = clock.perf_counter()
        attempted = _send_in_processes(services.deliveries_send_due, count, processes)
        elapsed = clock.perf_counter() - began
        delivered = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
        return {
            "database": connection.vendor,
            "bookings_per_case": len(timings[False]),
            "deliveries_written_with_endpoints": written,
            "booking_ms_without": {
                "median": round(statistics.median(timings[False]), 2),
                "p95": round(_percentile(timings[False], 0.95), 2),
            },
            "booking_ms_with": {
                "median": round(statistics.median(timings[True]), 2),
                "p95": round(_percentile(timings[True], 0.95), 2),
            },
            "deliveries": attempted,
            "processes": processes,
            "delivered": delivered,
            "deliveries_per_second": round(attempted / elapsed, 1) if elapsed > 0 else 0.0,
        }
