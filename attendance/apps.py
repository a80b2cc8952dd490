from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        from attendance import (
            actions,  # noqa: F401  (acting on the risk)
            receivers,  # noqa: F401  (scoring on scheduling's booking events)
        )
