from django.contrib import admin, messages

from recommendations.models import (
    ClientProviderPreference,
    ModelVersion,
    RecommendationItem,
    RecommendationLog,
    SchedulerSettings,
)
from recommendations.services import model_version_activate, model_version_rollback


@admin.register(SchedulerSettings)
class SchedulerSettingsAdmin(admin.ModelAdmin):
    fieldsets = [
        (
            "Weights of the rules (and of the schedule terms under a learned model)",
            {
                "fields": [
                    "weight_weekday_fit",
                    "weight_time_of_day_fit",
                    "weight_provider_continuity",
                    "weight_urgency_fit",
                    "weight_soonness",
                    "weight_lead_time_fit",
                    "weight_specialisation",
                    "weight_usual_slot",
                    "weight_wait_days",
                    "weight_load_balance",
                    "weight_adjacency",
                    "weight_short_fragments",
                ]
            },
        ),
        (
            "Learning",
            {
                "fields": [
                    "min_training_choices",
                    "history_half_life_days",
                    "exploration_share",
                    "exploration_noise",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return not SchedulerSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "created_at",
        "is_active",
        "promoted",
        "training_size",
        "test_size",
        "hit_at_1",
        "hit_at_3",
        "mrr",
        "baseline_mrr",
    ]
    list_filter = ["is_active", "promoted"]
    readonly_fields = [
        "version",
        "created_at",
        "artifact_path",
        "metrics",
        "baseline_metrics",
        "training_size",
        "test_size",
        "is_active",
        "promoted",
    ]
    fields = [*readonly_fields, "notes"]
    actions = ["activate", "roll_back"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="hit@1")
    def hit_at_1(self, obj):
        return obj.metrics.get("hit_at_1")

    @admin.display(description="hit@3")
    def hit_at_3(self, obj):
        return obj.metrics.get("hit_at_3")

    @admin.display(description="MRR")
    def mrr(self, obj):
        return obj.metrics.get("mrr")

    @admin.display(description="baseline MRR")
    def baseline_mrr(self, obj):
        return obj.baseline_metrics.get("mrr")

    @admin.action(description="Activate the selected version")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = model_version_activate(
            version=queryset.get(), note=f"activated by {request.user}"
        )
        self.message_user(request, f"{version} is now active.", messages.SUCCESS)

    @admin.action(description="Roll back to the previous promoted version")
    def roll_back(self, request, queryset):
        version = model_version_rollback(note=f"rolled back by {request.user}")
        if version is None:
            self.message_user(request, "No model active now: the rules rank.", messages.WARNING)
        else:
            self.message_user(request, f"{version} is active again.", messages.SUCCESS)


class RecommendationItemInline(admin.TabularInline):
    model = RecommendationItem
    fields = ["rank", "provider", "start", "end", "score", "reasons", "features"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RecommendationLog)
class RecommendationLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "client",
        "service",
        "urgency",
        "ranker",
        "explored",
        "picked_item",
    ]
    list_filter = ["ranker", "explored", "urgency"]
    search_fields = ["client__email"]
    list_select_related = ["client", "service", "picked_item"]
    inlines = [RecommendationItemInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientProviderPreference)
class ClientProviderPreferenceAdmin(admin.ModelAdmin):
    """What clients said about providers (they change it on their profile page; staff read
    it here when a client asks why a provider is never suggested)."""

    list_display = ("client", "provider", "wish")
    list_filter = ("wish", "provider")
    search_fields = ("client__email", "provider__display_name")
    list_select_related = ("client", "provider")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
