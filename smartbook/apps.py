from django.apps import AppConfig


class SmartbookConfig(AppConfig):
    """The composition root: commands that span every app (the demo data) live here."""

    name = "smartbook"
    verbose_name = "SmartBook"
