"""Real servers for the calendar tests and the benchmark (`bench_calendars`), in this
process, on loopback, on free ports: a Radicale CalDAV server with real accounts (Radicale is
a dev dependency), and a plain HTTP server for `.ics` files. Each socket is bound before its
thread starts, so nothing waits for a server to come up."""

import socketserver
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import caldav
from radicale import Application, config


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002  (the base class's name)
        return


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class RadicaleServer:
    """Radicale with users from `users` (name -> password), storage under `folder`; `wrap`
    may put a WSGI middleware in front (a server that fails for a while)."""

    def __init__(self, folder: Path, users: dict[str, str], wrap: Callable | None = None):
        htpasswd = folder / "users"
        htpasswd.write_text("".join(f"{name}:{password}\n" for name, password in users.items()))
        configuration = config.load()
        configuration.update(
            {
                "auth": {
                    "type": "htpasswd",
                    "htpasswd_filename": str(htpasswd),
                    "htpasswd_encryption": "plain",
                    "delay": "0",
                },
                "storage": {"filesystem_folder": str(folder / "collections")},
                "rights": {"type": "owner_only"},
                "server": {"delay_on_error": "0"},
                "logging": {"level": "critical"},
            },
            "test",
            privileged=True,
        )
        self.server = make_server(
            "127.0.0.1",
            0,
            (wrap or (lambda app: app))(Application(configuration)),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietWSGIHandler,
        )
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def client(self, user: str, password: str, timeout: int = 10) -> caldav.DAVClient:
        return caldav.DAVClient(self.url, username=user, password=password, timeout=timeout)

    def make_calendar(self, user: str, password: str, name: str) -> caldav.Calendar:
        return self.client(user, password).principal().make_calendar(name=name)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


Route = Callable[[BaseHTTPRequestHandler], None]


class FileServer:
    """A plain HTTP server: `routes[path]` answers the GET of that path."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (the base class's name)
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route(self)

            def log_message(self, format, *args):  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(
        self, path: str, body: bytes, *, status: int = 200, headers=None, etag: str = ""
    ) -> None:
        """Answer `body`; with `etag`, a request naming it in If-None-Match gets a 304."""

        def route(handler):
            if etag and handler.headers.get("If-None-Match") == etag:
                handler.send_response(304)
                handler.send_header("ETag", etag)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            handler.send_response(status)
            if etag:
                handler.send_header("ETag", etag)
            handler.send_header("Content-Type", "text/calendar")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = route

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        def route(handler):
            handler.send_response(status)
            handler.send_header("Location", to)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = route

    def endless(self, path: str, chunk: bytes) -> None:
        """A body with no declared length that never ends (until the client hangs up)."""

        def route(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", "text/calendar")
            handler.end_headers()
            try:
                handler.wfile.write(b"BEGIN:VCALENDAR\r\n")
                while True:
                    handler.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return

        self.routes[path] = route

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def vcalendar(*events: str) -> bytes:
    body = "".join(events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Calendar//EN\r\n{body}END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, *lines: str) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        + f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )
