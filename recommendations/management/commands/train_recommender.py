from django.core.management.base import BaseCommand

from recommendations.training import MIN_CHOICES_TO_TRAIN, recommender_train


class Command(BaseCommand):
    help = "Train a recommender model on the pick log; promote it only if it beats the active one."

    def add_arguments(self, parser):
        parser.add_argument("--min-choices", type=int, default=MIN_CHOICES_TO_TRAIN)

    def handle(self, *args, **options):
        result = recommender_train(min_choices=options["min_choices"])
        style = self.style.SUCCESS if result.promoted else self.style.WARNING
        self.stdout.write(style(result.message))
        if result.version is not None:
            self.stdout.write(f"v{result.version.version} metrics: {result.metrics}")
            self.stdout.write(f"baseline: {result.baseline_metrics}")
