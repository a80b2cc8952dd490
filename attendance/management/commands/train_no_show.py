from django.core.management.base import BaseCommand

from attendance.training import no_show_train


class Command(BaseCommand):
    help = (
        "Train a no-show model on the clinic's finished appointments; it is used only if it "
        "predicts better than the one in use and than each service's usual rate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        result = no_show_train(seed=options["seed"])
        style = self.style.SUCCESS if result.promoted else self.style.WARNING
        self.stdout.write(style(result.message))
        if result.version is not None:
            self.stdout.write(f"v{result.version.version} metrics: {result.metrics}")
            self.stdout.write(f"compared with: {result.baseline_metrics}")
