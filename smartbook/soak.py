"""The soak harness behind `manage.py soak`: a throw-away PostgreSQL database, gunicorn with
production settings on loopback, many concurrent clients booking, rescheduling and
cancelling overlapping slots, then checks in SQL and latency figures.

Loopback only and bounded: the load runs for a fixed time against 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = BASE_DIR / "smartbook" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**overrides: str) -> dict[str, str]:
    """Production settings for a loopback run: DEBUG off, real secret, no TLS redirect."""
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def wait_until_serving(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", "/static/__ping__")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {base_url} within {timeout:.0f}s")


@contextlib.contextmanager
def celery_worker(*, env: dict[str, str], queue: str, log_path: Path | None) -> Iterator[None]:
    """A Celery worker on `queue` (the production path for emails), stopped afterwards."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "smartbook",
        "worker",
        "--queues",
        queue,
        "--concurrency",
        "2",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log_path:
            log.close()


def purge_queue(broker_url: str, queue: str) -> None:
    import redis

    redis.Redis.from_url(broker_url).delete(queue)


@contextlib.contextmanager
def gunicorn_server(
    *, env: dict[str, str], workers: int = 2, threads: int = 4, log_path: Path | None = None
) -> Iterator[str]:
    """Run gunicorn on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "smartbook.wsgi:application",
    ]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_until_serving(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log_path:
            log.close()


def request_json(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict | list | None, dict[str, str]]:
    sent_headers = {"Accept": "application/json"}
    if token:
        sent_headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent_headers["Content-Type"] = "application/json"
    sent_headers.update(headers or {})
    conn.request(method, path, body=payload, headers=sent_headers)
    response = conn.getresponse()
    raw = response.read()
    data = None
    if raw and "json" in (response.getheader("Content-Type") or ""):
        data = json.loads(raw)
    return response.status, data, {k.lower(): v for k, v in response.getheaders()}


# --------------------------------------------------------------------------- the database


def soak_database_url(database_url: str) -> tuple[dict, str]:
    """Parse DATABASE_URL; refuse anything but PostgreSQL (SQLite serialises all writers, so a
    concurrency soak against it proves nothing about the exclusion constraints)."""
    import dj_database_url

    config = dj_database_url.parse(database_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SoakRefused(
            "The soak needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/any_db "
            "(it creates and drops its own soak_* database on that server). "
            f"Got engine {config['ENGINE']!r}."
        )
    name = f"soak_{time.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}"
    return config, name


class SoakRefused(Exception):
    pass


def _server_connection(config: dict):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    )


@contextlib.contextmanager
def temporary_database(config: dict, name: str) -> Iterator[str]:
    """Create database `name` on the server of `config`, point Django's default connection
    at it for the duration, then drop it. Yields its URL for the web processes."""
    from django.db import connections

    if not name.startswith("soak_") or not name.replace("_", "").isalnum():
        raise SoakRefused(f"refusing to manage database {name!r}")
    with _server_connection(config) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    default = connections["default"]
    original_name = default.settings_dict["NAME"]
    default.close()
    default.settings_dict["NAME"] = name
    auth = config.get("USER") or ""
    if config.get("PASSWORD"):
        auth += f":{config['PASSWORD']}"
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    url = f"postgres://{auth}{'@' if auth else ''}{host}:{port}/{name}"
    try:
        yield url
    finally:
        default.close()
        default.settings_dict["NAME"] = original_name
        with _server_connection(config) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(config: dict, name: str) -> bool:
    with _server_connection(config) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


# ------------------------------------------------------------------------------ the clinic


@dataclass
class Clinic:
    offers: list[tuple[int, int]]  # (provider id, service id)
    clients: list[tuple[int, str]]  # (user id, bearer token)
    window_start: datetime
    window_end: datetime


def seed_clinic(*, clients: int, providers: int, token_seconds: int) -> Clinic:
    """A small clinic with little capacity, so that many clients compete for the same slots."""
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Profile, Role, User
    from providers.models import Provider, Service, ServiceCategory, WorkingHours
    from scheduling.models import BookingPolicy

    with transaction.atomic():
        policy = BookingPolicy.load()
        policy.min_notice_minutes = 60
        policy.client_cutoff_hours = 0
        policy.max_client_appointments_per_day = None
        policy.save()
        category = ServiceCategory.objects.create(name="Soak", slug="soak")
        services = [
            Service.objects.create(
                category=category,
                name="Consultation",
                duration_minutes=30,
                buffer_after_minutes=10,
            ),
            Service.objects.create(
                category=category,
                name="Check-up",
                duration_minutes=20,
                buffer_before_minutes=5,
                buffer_after_minutes=5,
            ),
        ]
        offers = []
        for index in range(providers):
            user = User.objects.create_user(
                f"soak-provider-{index}@example.com", None, role=Role.PROVIDER
            )
            provider = Provider.objects.create(
                user=user, display_name=f"Soak Provider {index}", timezone="Europe/London"
            )
            provider.services.set(services)
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    provider=provider, weekday=day, start_time=dtime(9), end_time=dtime(17)
                )
                for day in range(7)
            )
            offers.extend((provider.pk, service.pk) for service in services)
        client_rows = []
        for index in range(clients):
            user = User.objects.create_user(f"soak-client-{index}@example.com", None)
            Profile.objects.get_or_create(user=user)
            token = AccessToken.for_user(user)
            token.set_exp(lifetime=timedelta(seconds=token_seconds))
            client_rows.append((user.pk, str(token)))

    london = ZoneInfo("Europe/London")
    tomorrow = (datetime.now(tz=london) + timedelta(days=1)).date()
    window_start = datetime.combine(tomorrow, dtime(0), tzinfo=london).astimezone(UTC)
    window_end = datetime.combine(tomorrow + timedelta(days=2), dtime(0), tzinfo=london).astimezone(
        UTC
    )
    return Clinic(offers, client_rows, window_start, window_end)


# -------------------------------------------------------------------------------- the load


@dataclass
class Promise:
    """One appointment as the server last acknowledged it to its client."""

    status: str  # "active" or "cancelled"
    start: datetime
    provider_id: int
    service_id: int


@dataclass
class ClientRun:
    user_id: int
    token: str
    promises: dict[int, Promise] = field(default_factory=dict)
    reschedules: int = 0
    # A write whose answer never came (timeout, reset): its outcome is unknown, so this
    # client's rows are left out of the exact checks.
    uncertain: bool = False
    samples: list[tuple[str, int, float]] = field(default_factory=list)


def _parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class LoadClient:
    """One simulated client: sequential requests on a keep-alive connection, with think time."""

    def __init__(self, *, base_url: str, clinic: Clinic, run: ClientRun, seed: int, think_ms: int):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.clinic = clinic
        self.run = run
        self.rng = random.Random(seed)
        self.think_ms = think_ms
        self.conn: http.client.HTTPConnection | None = None

    def call(self, label: str, method: str, path: str, body: dict | None = None) -> tuple:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        started = time.perf_counter()
        try:
            status, data, _ = request_json(self.conn, method, path, token=self.run.token, body=body)
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            status, data = 0, None
            if method != "GET":
                self.run.uncertain = True
        if status == 503 and method != "GET":
            self.run.uncertain = True
        self.run.samples.append((label, status, (time.perf_counter() - started) * 1000))
        return status, data

    def open_slots(self, provider_id: int, service_id: int) -> list[str]:
        start = self.clinic.window_start + timedelta(days=self.rng.choice([0, 1]))
        query = urlencode(
            {
                "service": service_id,
                "start": start.isoformat(),
                "end": (start + timedelta(days=1)).isoformat(),
            }
        )
        status, data = self.call(
            "availability", "GET", f"/api/providers/{provider_id}/availability?{query}"
        )
        if status != 200 or data is None:
            return []
        slots = data.get("results", data.get("slots", [])) if isinstance(data, dict) else data
        return [slot["start"] for slot in slots if isinstance(slot, dict) and "start" in slot]

    def pick(self, slots: list[str]) -> str:
        # The first few open slots: everyone wants the earliest, which makes the contention.
        return self.rng.choice(slots[:6])

    def book(self) -> None:
        provider_id, service_id = self.rng.choice(self.clinic.offers)
        slots = self.open_slots(provider_id, service_id)
        if not slots:
            return
        body = {"provider": provider_id, "service": service_id, "start": self.pick(slots)}
        status, data = self.call("book", "POST", "/api/appointments", body)
        if 200 <= status < 300:
            self.run.promises[data["id"]] = Promise(
                "active", _parse_instant(data["start"]), provider_id, service_id
            )

    def reschedule(self, appointment_id: int) -> None:
        promise = self.run.promises[appointment_id]
        slots = self.open_slots(promise.provider_id, promise.service_id)
        if not slots:
            return
        body = {"start": self.pick(slots)}
        status, data = self.call("reschedule", "PATCH", f"/api/appointments/{appointment_id}", body)
        if 200 <= status < 300:
            promise.start = _parse_instant(data["start"])
            self.run.reschedules += 1

    def cancel(self, appointment_id: int) -> None:
        status, _ = self.call("cancel", "DELETE", f"/api/appointments/{appointment_id}")
        if 200 <= status < 300:
            self.run.promises[appointment_id].status = "cancelled"

    def loop(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            active = [pk for pk, promise in self.run.promises.items() if promise.status == "active"]
            roll = self.rng.random()
            if len(active) < 2 and roll < 0.55:
                self.book()
            elif active and roll < 0.80:
                self.reschedule(self.rng.choice(active))
            elif active and roll < 0.92:
                self.cancel(self.rng.choice(active))
            else:
                self.call("list", "GET", "/api/appointments")
            if self.think_ms:
                time.sleep(self.rng.uniform(0.5, 1.5) * self.think_ms / 1000)
        if self.conn is not None:
            self.conn.close()


def terminate_backends(config: dict, name: str) -> int:
    """What a database restart does to the web processes: every connection to `name` dies."""
    with _server_connection(config) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)


def drive_load(
    *,
    base_url: str,
    clinic: Clinic,
    seconds: float,
    think_ms: int,
    seed: int,
    fault_at: float | None = None,
    fault=lambda: None,
) -> list[ClientRun]:
    runs = [ClientRun(user_id, token) for user_id, token in clinic.clients]
    clients = [
        LoadClient(base_url=base_url, clinic=clinic, run=run, seed=seed + i, think_ms=think_ms)
        for i, run in enumerate(runs)
    ]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client.loop, args=(deadline,), daemon=True) for client in clients
    ]
    for thread in threads:
        thread.start()
    if fault_at is not None:
        time.sleep(max(0.0, deadline - seconds + fault_at - time.monotonic()))
        fault()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return runs


def warm_up(*, base_url: str, clinic: Clinic, parallel: int, rounds: int = 3) -> None:
    """Reads only, unmeasured: every worker imports its views and opens its connections."""

    def reads(index: int) -> None:
        user_id, token = clinic.clients[index % len(clinic.clients)]
        client = LoadClient(
            base_url=base_url, clinic=clinic, run=ClientRun(user_id, token), seed=index, think_ms=0
        )
        for _ in range(rounds):
            client.open_slots(*clinic.offers[index % len(clinic.offers)])
            client.call("list", "GET", "/api/appointments")
        if client.conn is not None:
            client.conn.close()

    threads = [threading.Thread(target=reads, args=(i,), daemon=True) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


# -------------------------------------------------------------------------------- the checks

PROVIDER_OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.provider_id = b.provider_id AND a.id < b.id
WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
  AND tstzrange(a.blocked_start, a.blocked_end, '[)')
      && tstzrange(b.blocked_start, b.blocked_end, '[)')
"""

CLIENT_OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.client_id = b.client_id AND a.id < b.id
WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
  AND tstzrange(a.start, a."end", '[)') && tstzrange(b.start, b."end", '[)')
"""


def check_invariants(runs: list[ClientRun]) -> dict[str, int]:
    """Compare the database with what the server promised each client."""
    from django.db import connection

    from scheduling.models import Appointment, AppointmentChange

    with connection.cursor() as cursor:
        cursor.execute(PROVIDER_OVERLAPS_SQL)
        provider_overlaps = cursor.fetchone()[0]
        cursor.execute(CLIENT_OVERLAPS_SQL)
        client_overlaps = cursor.fetchone()[0]

    certain = {run.user_id: run for run in runs if not run.uncertain}
    rows = {
        row["id"]: row
        for row in Appointment.objects.filter(client_id__in=list(certain)).values(
            "id", "client_id", "start", "status"
        )
    }
    changes: dict[int, int] = {}
    for client_id in AppointmentChange.objects.filter(
        appointment__client_id__in=list(certain)
    ).values_list("appointment__client_id", flat=True):
        changes[client_id] = changes.get(client_id, 0) + 1

    lost = 0  # promised, but missing or not as promised
    phantom = 0  # written although the answer was not 2xx
    for run in certain.values():
        for pk, promise in run.promises.items():
            row = rows.pop(pk, None)
            if row is None or row["client_id"] != run.user_id:
                lost += 1
                continue
            is_cancelled = row["status"] == "cancelled"
            if (promise.status == "cancelled") != is_cancelled or row["start"] != promise.start:
                lost += 1
        phantom += abs(changes.get(run.user_id, 0) - run.reschedules)
    phantom += len(rows)  # rows of these clients that no 2xx answer created
    return {
        "provider_overlaps": provider_overlaps,
        "client_overlaps": client_overlaps,
        "overlaps": provider_overlaps + client_overlaps,
        "lost_bookings": lost,
        "phantom_writes": phantom,
        "uncertain_clients": len(runs) - len(certain),
    }


# ------------------------------------------------------------------------------- the report


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(runs: list[ClientRun], seconds: float) -> dict:
    samples = [sample for run in runs for sample in run.samples]
    by_status: Counter[str] = Counter(str(status) for _, status, _ in samples)
    endpoints: dict[str, dict] = {}
    for label in sorted({label for label, _, _ in samples}):
        latencies = sorted(ms for name, _, ms in samples if name == label)
        statuses = Counter(str(status) for name, status, _ in samples if name == label)
        endpoints[label] = {
            "requests": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "statuses": dict(sorted(statuses.items())),
        }
    return {
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1) if seconds else 0.0,
        "statuses": dict(sorted(by_status.items())),
        # Crashes (500 and the like); 503 is the API's honest "database unavailable, retry".
        "server_errors": sum(1 for _, status, _ in samples if status >= 500 and status != 503),
        "unavailable_503": by_status.get("503", 0),
        "transport_errors": by_status.get("0", 0),
        "bookings_acknowledged": sum(len(run.promises) for run in runs),
        "reschedules_acknowledged": sum(run.reschedules for run in runs),
        "endpoints": endpoints,
        "p95_ms": {label: figures["p95_ms"] for label, figures in endpoints.items()},
    }


def run_soak(
    *,
    database_url: str,
    clients: int,
    seconds: float,
    workers: int,
    threads: int,
    providers: int,
    think_ms: int,
    seed: int,
    log_path: Path,
    restart_db_at: float | None = None,
    broker_url: str = "",
    progress=lambda message: None,
) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    config, name = soak_database_url(database_url)
    with temporary_database(config, name) as url:
        progress(f"created database {name}; migrating")
        call_command("migrate", interactive=False, verbosity=0)
        clinic = seed_clinic(clients=clients, providers=providers, token_seconds=int(seconds) + 900)
        connections["default"].close()  # idle during the load; the checks reconnect
        env = production_env(
            SECRET_KEY=settings.SECRET_KEY,
            DATABASE_URL=url,
            DB_CONN_MAX_AGE="60",
            # Without --broker, emails are sent inside the request (as `make run` does).
            CELERY_BROKER_URL=broker_url,
            CELERY_TASK_DEFAULT_QUEUE=name,
            REDIS_URL="",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            LOG_LEVEL="ERROR",
        )
        worker = (
            celery_worker(env=env, queue=name, log_path=log_path.with_suffix(".worker.log"))
            if broker_url
            else contextlib.nullcontext()
        )
        progress(f"starting gunicorn: {workers} workers x {threads} threads")
        with (
            worker,
            gunicorn_server(env=env, workers=workers, threads=threads, log_path=log_path) as base,
        ):
            warm_up(base_url=base, clinic=clinic, parallel=workers * threads)
            progress(f"{clients} clients for {seconds:g}s against {base}")
            killed: list[int] = []
            runs = drive_load(
                base_url=base,
                clinic=clinic,
                seconds=seconds,
                think_ms=think_ms,
                seed=seed,
                fault_at=restart_db_at,
                fault=lambda: killed.append(terminate_backends(config, name)),
            )
        if broker_url:
            purge_queue(broker_url, name)
        report = summarize(runs, seconds)
        report.update(check_invariants(runs))
    report.update(
        {
            "clients": clients,
            "seconds": seconds,
            "workers": workers,
            "threads": threads,
            "providers": providers,
            "think_ms": think_ms,
            "database": name,
            "broker": "celery worker" if broker_url else "in-process tasks",
            "db_connections_killed": sum(killed),
            "database_dropped": not database_exists(config, name),
        }
    )
    return report
