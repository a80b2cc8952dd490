"""A real webhook receiver for the tests: an HTTP server on loopback that verifies every
request with the `standardwebhooks` package, records what arrived and answers from a queue."""

import contextlib
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Arrival:
    path: str
    headers: dict[str, str]
    body: bytes
    json: object
    verified: dict[str, bool]  # secret -> whether the request verifies with it

    def verified_with(self, secret: str) -> bool:
        return self.verified[secret]

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


class Receiver:
    """Register each endpoint's secrets with `expect(path, secret, ...)`; queue answers with
    `answer(path, Reply(...), ...)` (200 once the queue is empty)."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.secrets: dict[str, list[str]] = {}
        self.replies: dict[str, deque[Reply]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def expect(self, path: str, *secrets: str) -> None:
        with self.lock:
            self.secrets[path] = list(secrets)

    def answer(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self.replies.setdefault(path, deque()).extend(replies)

    def at(self, path: str) -> list[Arrival]:
        with self.lock:
            return [arrival for arrival in self.arrivals if arrival.path == path]

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.lock:
                    secrets = list(receiver.secrets.get(self.path, []))
                    queue = receiver.replies.get(self.path)
                    reply = queue.popleft() if queue else Reply()
                verified = {}
                for secret in secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified[secret] = True
                    except WebhookVerificationError:
                        verified[secret] = False
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with receiver.lock:
                    receiver.arrivals.append(Arrival(self.path, headers, body, parsed, verified))
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                # The client may stop reading (the response size limit).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply.body)

            def log_message(self, format, *args):  # noqa: A002 - quiet
                pass

        return Handler


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
