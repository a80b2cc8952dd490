import json

from django.core.management.base import BaseCommand

from attendance.models import NoShowSettings
from attendance.policy_simulation import SCENARIOS, Assumptions, simulate
from scheduling.models import BookingPolicy


def _default(model, field: str):
    return model._meta.get_field(field).default


class Command(BaseCommand):
    help = (
        "Simulate the no-show policies on a generated clinic: no-show rate and utilisation "
        "without them, with targeted extra reminders, and with confirm-or-release on top."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--appointments", type=int, default=20_000)
        parser.add_argument("--refill-share", type=float, default=Assumptions.refill_share)
        parser.add_argument("--json", action="store_true", help="One JSON object, last line.")

    def handle(self, *args, **options):
        # The policies' own defaults, so the simulation follows the product's.
        assumptions = Assumptions(
            high_from=_default(NoShowSettings, "high_from"),
            reminder_hours_before=_default(BookingPolicy, "extra_reminder_hours_before"),
            confirm_by_hours_before=_default(BookingPolicy, "confirm_by_hours_before"),
            refill_share=options["refill_share"],
        )
        result = simulate(
            seed=options["seed"], appointments=options["appointments"], assumptions=assumptions
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"seed {result['seed']}: {result['appointments']} held-out appointments, "
            f"{result['high_risk']} high risk "
            f"(their no-show rate {result['high_risk_no_show_rate']})"
        )
        for name in SCENARIOS:
            row = result["scenarios"][name]
            self.stdout.write(
                f"  {name:<32} no-show rate {row['no_show_rate']:.3f}  utilisation "
                f"{row['utilisation']:.3f}  released {row['released']} "
                f"({row['released_who_would_have_come']} would have come, "
                f"{row['refilled']} refilled)"
            )
