from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recommendations"

    def ready(self) -> None:
        from recommendations.services import recommendation_pick_record
        from scheduling.events import register_booking_hook

        register_booking_hook(recommendation_pick_record)
