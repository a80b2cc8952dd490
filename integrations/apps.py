from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What other systems build on: signed webhooks out of SmartBook's domain events."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations import receivers  # noqa: F401 - connects the receivers
