from django.apps import AppConfig


class SmartbookConfig(AppConfig):
    """The composition root: commands that span every app (the demo data) live here."""

    name = "smartbook"
    verbose_name = "SmartBook"

    def ready(self) -> None:
        from smartbook.checks import deploy  # noqa: F401  (registers the deploy checks)
