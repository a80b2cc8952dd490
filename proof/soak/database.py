"""The soak's own PostgreSQL database: created, used, and dropped; and its fault injection."""

import contextlib
import secrets
import time
from collections.abc import Iterator


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


def terminate_backends(config: dict, name: str) -> int:
    """What a database restart does to the web processes: every connection to `name` dies."""
    with _server_connection(config) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)
