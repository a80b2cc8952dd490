from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calendars"
    verbose_name = "External calendars"

    def ready(self) -> None:
        from calendars import receivers  # noqa: F401  (connects the event receivers)
