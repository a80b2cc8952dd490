import json

from django.core.management.base import BaseCommand

from attendance.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "Generate a clinic's appointment history, train the no-show model on its older part and "
        "print AUC, PR-AUC, Brier score and calibration error on the newest (held-out) part."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--appointments", type=int, default=20_000)
        parser.add_argument("--json", action="store_true", help="One JSON object, last line.")

    def handle(self, *args, **options):
        result = evaluate(seed=options["seed"], appointments=options["appointments"])
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"seed {result['seed']}: {result['model']} on {result['train_rows']} rows, "
            f"held out {result['test_rows']}: AUC {result['auc']}, PR-AUC {result['pr_auc']}, "
            f"Brier {result['brier']} (base rate {result['base_rate_brier']}), "
            f"ECE {result['ece']}, no-show rate {result['base_rate']}"
        )
