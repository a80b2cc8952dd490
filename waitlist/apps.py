from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"

    def ready(self) -> None:
        from waitlist import receivers  # noqa: F401  (matching on scheduling's freed time)
