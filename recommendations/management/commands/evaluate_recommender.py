import json

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import transaction

from recommendations.evaluation import POLICIES, EvaluationConfig, evaluate
from recommendations.selectors import POPULATION_CACHE_KEY

METRICS = (
    ("hit_at_1", "hit@1"),
    ("hit_at_3", "hit@3"),
    ("mrr", "MRR"),
    ("utilisation", "utilisation"),
    ("short_fragments_per_provider_day", "short gaps/provider-day"),
    ("urgent_within_48h", "urgent <48h"),
)


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Simulate a clinic end to end (real booking services) and compare earliest-first, "
        "random, rules and learned ranking. Everything it writes is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--seed", type=int, default=EvaluationConfig.seed)
        parser.add_argument("--clients", type=int, default=EvaluationConfig.clients)
        parser.add_argument(
            "--history-requests", type=int, default=EvaluationConfig.history_requests
        )
        parser.add_argument("--month-requests", type=int, default=EvaluationConfig.month_requests)
        parser.add_argument(
            "--heldout-requests", type=int, default=EvaluationConfig.heldout_requests
        )

    def handle(self, *args, **options):
        config = EvaluationConfig(
            seed=options["seed"],
            clients=options["clients"],
            history_requests=options["history_requests"],
            month_requests=options["month_requests"],
            heldout_requests=options["heldout_requests"],
        )
        result: dict = {}
        # A throw-away database: one transaction, always rolled back, whatever the backend.
        try:
            with transaction.atomic():
                result = evaluate(config)
                raise Rollback
        except Rollback:
            pass
        finally:
            # Patterns cached from the simulated clinic must not outlive it.
            cache.delete(POPULATION_CACHE_KEY)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
            return
        self.stdout.write(self._table(result))

    def _table(self, result: dict) -> str:
        header = "| policy | " + " | ".join(label for _, label in METRICS) + " |"
        lines = [header, "|" + "---|" * (len(METRICS) + 1)]
        for name in POLICIES:
            row = result["policies"][name]
            lines.append(
                f"| {name} | " + " | ".join(f"{row[key]:.3f}" for key, _ in METRICS) + " |"
            )
        lines.append("")
        lines.append(f"training: {result['training']['message']}")
        lines.append(f"history: {result['history']}")
        lines.append(f"seed {result['config']['seed']}, {result['seconds']} s")
        return "\n".join(lines)
