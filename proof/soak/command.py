"""The soak's command line (`python -m proof.soak`): concurrent booking load against gunicorn on
a throw-away PostgreSQL database, then the invariants checked in SQL (see the package)."""

import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from proof.soak import SoakRefused, run_soak


class Command(BaseCommand):
    help = (
        "Run gunicorn (production settings, loopback) on a new soak_* PostgreSQL database and "
        "drive many concurrent clients booking, rescheduling and cancelling overlapping slots; "
        "then check no overlaps, no lost or phantom bookings, no 5xx, and print latencies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
        parser.add_argument("--seconds", type=float, default=30, help="load duration (30)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
        parser.add_argument("--providers", type=int, default=3, help="providers competed for")
        parser.add_argument(
            "--think-ms",
            type=int,
            default=500,
            help="mean pause of a client between requests, in ms (500; 0 = none)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed of the clients")
        parser.add_argument(
            "--burst-start",
            action="store_true",
            help="start every client in the same instant (a synchronised burst of first "
            "bookings) instead of at a random point of its first think pause",
        )
        parser.add_argument(
            "--restart-db-at",
            type=float,
            default=None,
            metavar="SECONDS",
            help="fault: kill every database connection this far into the load, as a "
            "PostgreSQL restart would (requests in flight get 503; invariants must hold)",
        )
        parser.add_argument(
            "--broker",
            default="",
            metavar="REDIS_URL",
            help="send the notification tasks through this Redis to a Celery worker started "
            "for the soak, on a queue of its own, as in production (default: in-process)",
        )
        parser.add_argument(
            "--worker-nice",
            type=int,
            default=10,
            metavar="N",
            help="with --broker: run the worker at this nice level (10), as on a single host "
            "where web requests should win the CPU over background emails; 0 = same priority",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--database-url",
            default=os.environ.get("DATABASE_URL", ""),
            help="PostgreSQL server to use (default: DATABASE_URL); a soak_* database is "
            "created there and dropped afterwards",
        )

    def handle(self, *args, **options):
        if not 1 <= options["clients"] <= 500:
            raise CommandError("--clients must be between 1 and 500.")
        if not 0 < options["seconds"] <= 3600:
            raise CommandError("--seconds must be between 0 and 3600.")
        if not 0 <= options["worker_nice"] <= 19:
            raise CommandError("--worker-nice must be between 0 and 19.")
        if not 1 <= options["workers"] <= 32 or not 1 <= options["threads"] <= 32:
            raise CommandError("--workers and --threads must be between 1 and 32.")
        database_url = options["database_url"] or _settings_database_url()
        log_path = Path(tempfile.gettempdir()) / f"soak-gunicorn-{os.getpid()}.log"
        progress = (lambda message: None) if options["json"] else self._progress
        try:
            report = run_soak(
                database_url=database_url,
                clients=options["clients"],
                seconds=options["seconds"],
                workers=options["workers"],
                threads=options["threads"],
                providers=options["providers"],
                think_ms=options["think_ms"],
                seed=options["seed"],
                log_path=log_path,
                restart_db_at=options["restart_db_at"],
                broker_url=options["broker"],
                worker_nice=options["worker_nice"],
                burst_start=options["burst_start"],
                progress=progress,
            )
        except SoakRefused as exc:
            raise CommandError(str(exc)) from exc
        report["server_log"] = str(log_path)
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self._print(report)
        checked = ["overlaps", "server_errors", "lost_bookings", "phantom_writes"]
        if options["restart_db_at"] is None:
            checked.append("unavailable_503")  # without a fault, the database never went away
        broken = {key: report[key] for key in checked if report[key]}
        if broken:
            raise CommandError(f"soak failed: {broken} (server log: {log_path})")

    def _progress(self, message: str) -> None:
        self.stderr.write(f"soak: {message}")

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        out(
            f"{report['requests']} requests in {report['seconds']:g}s "
            f"({report['requests_per_second']}/s) from {report['clients']} clients, "
            f"gunicorn {report['workers']}x{report['threads']}, think {report['think_ms']} ms, "
            f"{report['start']} start, {report['broker']}"
        )
        out("by status: " + ", ".join(f"{k}: {v}" for k, v in report["statuses"].items()))
        out(f"{'endpoint':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
        for name, figures in report["endpoints"].items():
            statuses = ", ".join(f"{k}: {v}" for k, v in figures["statuses"].items())
            out(
                f"{name:<14}{figures['requests']:>9}{figures['p50_ms']:>9}"
                f"{figures['p95_ms']:>9}{figures['p99_ms']:>9}  {statuses}"
            )
        out(
            f"bookings acknowledged {report['bookings_acknowledged']}, "
            f"reschedules acknowledged {report['reschedules_acknowledged']}"
        )
        notes = report["notifications"]
        emails = ", ".join(f"{k}: {v}" for k, v in notes["emails"].items()) or "none"
        out(f"notifications: {notes['inbox_entries']} inbox entries; emails {emails}")
        out(
            f"overlaps {report['overlaps']} (provider {report['provider_overlaps']}, client "
            f"{report['client_overlaps']}), lost bookings {report['lost_bookings']}, phantom "
            f"writes {report['phantom_writes']}, 5xx {report['server_errors']} (+503 "
            f"{report['unavailable_503']}, db connections killed "
            f"{report['db_connections_killed']}), transport "
            f"errors {report['transport_errors']}, database {report['database']} dropped: "
            f"{report['database_dropped']}"
        )


def _settings_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{db['NAME']}"
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )
