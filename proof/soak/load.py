"""The load: simulated clients, each a thread on its own keep-alive connection."""

import http.client
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from proof.soak.clinic import Clinic
from proof.soak.server import request_json


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
        started = time.perf_counter()
        # A read whose kept-alive connection the server had closed without answering (a
        # gunicorn worker recycled after max_requests) is sent again on a new connection,
        # as browsers and HTTP libraries do. A write is never resent: its outcome is unknown.
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                status, data, _ = request_json(
                    self.conn, method, path, token=self.run.token, body=body
                )
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                status, data = 0, None
                closed_unanswered = isinstance(
                    exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                )
                if not (reused and closed_unanswered and attempt + 1 < attempts):
                    break
        if status == 0 and method != "GET":
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

    def loop(self, deadline: float, *, stagger: bool = True) -> None:
        if stagger and self.think_ms:
            # Start at a random point of a think pause, as clients of a live service are:
            # fifty of them firing their first request in the same millisecond would measure
            # a synthetic burst, not the steady load (`--burst-start` measures that burst).
            time.sleep(self.rng.uniform(0, 1.5) * self.think_ms / 1000)
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


def drive_load(
    *,
    base_url: str,
    clinic: Clinic,
    seconds: float,
    think_ms: int,
    seed: int,
    fault_at: float | None = None,
    fault=lambda: None,
    stagger: bool = True,
) -> list[ClientRun]:
    runs = [ClientRun(user_id, token) for user_id, token in clinic.clients]
    clients = [
        LoadClient(base_url=base_url, clinic=clinic, run=run, seed=seed + i, think_ms=think_ms)
        for i, run in enumerate(runs)
    ]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=client.loop, args=(deadline,), kwargs={"stagger": stagger}, daemon=True
        )
        for client in clients
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
