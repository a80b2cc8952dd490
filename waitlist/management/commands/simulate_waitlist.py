"""Measure the waitlist on the simulated clinic: the same seeded run without and with it.

    python manage.py simulate_waitlist [--seed N] [--days N] [--json]
        [--providers N] [--clients N] [--requests-per-day N] [--warmup-days N]
        [--window-days N] [--sweep-minutes N]

Each run gets a throw-away database of its own (`smartbook.scratch.scratch_database`):
the configured database is never touched. See `waitlist/simulation.py` for what is simulated
and over which period the figures are measured.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from waitlist.simulation import RUNS, SimulationConfig, simulate

ROWS = (
    ("requests", "requests"),
    ("bookings", "bookings"),
    ("cancelled_share", "share of bookings cancelled"),
    ("late_share_of_cancellations", "  of which late (< 24 h ahead)"),
    ("freed_minutes", "freed provider minutes"),
    ("share_refilled", "share refilled before it passed"),
    ("refilled_by_waitlist_minutes", "  minutes refilled via the waitlist"),
    ("freed_ahead_minutes", "freed > 24 h ahead, minutes"),
    ("share_refilled_ahead", "  share refilled (goal >= 0.5)"),
    ("median_minutes_to_refill", "median minutes to refill"),
    ("utilisation", "utilisation of working time"),
    ("waitlisted.clients", "waitlisted clients"),
    ("waitlisted.served_share", "  share served before giving up"),
    ("waitlisted.served_via_waitlist", "  served through an offer"),
    ("waitlisted.median_wait_hours", "  median wait, hours"),
    ("waitlisted.p90_wait_hours", "  p90 wait, hours"),
    ("offers.accepted", "offers accepted"),
    ("offers.declined", "offers declined"),
    ("offers.expired", "offers expired"),
    ("offers.answered_too_late", "  answered after the hold"),
)


def _value(figures: dict, key: str):
    for part in key.split("."):
        figures = figures[part]
    return figures


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


class Command(BaseCommand):
    help = (
        "Simulate the clinic with cancellations twice on one seed, without and with the "
        "waitlist, and report how much freed time was refilled (each run in a throw-away "
        "database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--seed", type=int, default=SimulationConfig.seed)
        parser.add_argument("--days", type=int, default=SimulationConfig.days)
        parser.add_argument("--providers", type=int, default=SimulationConfig.providers)
        parser.add_argument("--clients", type=int, default=SimulationConfig.clients)
        parser.add_argument("--warmup-days", type=int, default=SimulationConfig.warmup_days)
        parser.add_argument(
            "--window-days",
            type=int,
            default=SimulationConfig.window_days,
            help="How far ahead clients look for a time, and wait at most.",
        )
        parser.add_argument(
            "--requests-per-day", type=float, default=SimulationConfig.requests_per_day
        )
        parser.add_argument(
            "--sweep-minutes",
            type=int,
            default=SimulationConfig.sweep_minutes,
            help="How often the waitlist's beat sweep runs.",
        )

    def handle(self, *args, **options):
        try:
            config = SimulationConfig(
                seed=options["seed"],
                days=options["days"],
                providers=options["providers"],
                clients=options["clients"],
                warmup_days=options["warmup_days"],
                window_days=options["window_days"],
                requests_per_day=options["requests_per_day"],
                sweep_minutes=options["sweep_minutes"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = simulate(config)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(self._table(result))

    def _table(self, result: dict) -> str:
        lines = ["| measure | " + " | ".join(f"{name} waitlist" for name in RUNS) + " |"]
        lines.append("|---|" + "---:|" * len(RUNS))
        for key, label in ROWS:
            cells = [_cell(_value(result["runs"][name], key)) for name in RUNS]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        config = result["config"]
        lines.append("")
        lines.append(
            f"seed {config['seed']}, {config['days']} days, {config['providers']} providers, "
            f"{config['clients']} clients, {config['requests_per_day']:g} requests a day; "
            f"{result['seconds']} s"
        )
        return "\n".join(lines)
