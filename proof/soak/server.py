"""Processes of the soak: gunicorn with production settings on loopback, a Celery worker,
and a tiny JSON-over-HTTP client."""

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
def _child_process(
    command: list[str],
    *,
    env: dict[str, str],
    log_path: Path | None,
    stop_timeout: float,
    nice: int = 0,
) -> Iterator[subprocess.Popen]:
    """Run `command` from the project folder with its output in `log_path`; on the way out,
    ask it to stop (SIGTERM), and kill it if it has not within `stop_timeout` seconds."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,  # noqa: PLW1509
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log_path:
            log.close()


@contextlib.contextmanager
def celery_worker(
    *, env: dict[str, str], queue: str, log_path: Path | None, nice: int = 0
) -> Iterator[None]:
    """A Celery worker on `queue` (the production path for notifications), stopped afterwards.

    `nice` lowers its CPU priority, as on a single host where the web processes share the
    cores with it: a burst of emails then waits for the CPU instead of the booking requests.
    """
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
    with _child_process(command, env=env, log_path=log_path, stop_timeout=30, nice=nice):
        yield


def wait_for_queue_drain(broker_url: str, queue: str, *, timeout: float = 60) -> float:
    """Wait (bounded) until the worker has taken every queued task; returns the seconds waited.

    Run before the worker is stopped, so the soak's counts include every event's fan-out.
    """
    import redis

    client = redis.Redis.from_url(broker_url)
    started = time.monotonic()
    while client.llen(queue) and time.monotonic() - started < timeout:
        time.sleep(0.1)  # polling interval, bounded by the timeout
    return time.monotonic() - started


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
    with _child_process(command, env=env, log_path=log_path, stop_timeout=20) as process:
        wait_until_serving(base_url, process)
        yield base_url


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
