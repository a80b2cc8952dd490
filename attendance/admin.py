from django.contrib import admin, messages
from django.template.loader import render_to_string

from attendance.models import NoShowModelVersion, NoShowSettings, RiskScore
from attendance.selectors import appointment_risks
from attendance.services import no_show_model_activate, no_show_model_rollback
from scheduling.models import Appointment


@admin.register(NoShowSettings)
class NoShowSettingsAdmin(admin.ModelAdmin):
    fields = ["medium_from", "high_from", "min_outcomes"]

    def has_add_permission(self, request):
        return not NoShowSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


def _metric(name: str, source: str = "metrics", key: str | None = None):
    def read(self, obj):
        values = getattr(obj, source) or {}
        if key is not None:
            values = values.get(key) or {}
        return values.get(name)

    read.short_description = (
        name.replace("_", "-").upper()
        if source == "metrics"
        else (f"{name.replace('_', '-').upper()} ({key.replace('_', ' ')})")
    )
    return read


@admin.register(NoShowModelVersion)
class NoShowModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "created_at",
        "kind",
        "is_active",
        "promoted",
        "training_size",
        "test_size",
        "auc",
        "pr_auc",
        "brier",
        "ece",
        "active_brier",
        "base_rate_brier",
    ]
    list_filter = ["is_active", "promoted", "kind"]
    readonly_fields = [
        "version",
        "created_at",
        "kind",
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

    auc = _metric("auc")
    pr_auc = _metric("pr_auc")
    brier = _metric("brier")
    ece = _metric("ece")
    active_brier = _metric("brier", "baseline_metrics", "active")
    base_rate_brier = _metric("brier", "baseline_metrics", "base_rate")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Use the selected version")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = no_show_model_activate(
            version=queryset.get(), note=f"activated by {request.user}"
        )
        self.message_user(request, f"{version} is now in use.", messages.SUCCESS)

    @admin.action(description="Roll back to the previous promoted version")
    def roll_back(self, request, queryset):
        version = no_show_model_rollback(note=f"rolled back by {request.user}")
        if version is None:
            self.message_user(
                request,
                "No model in use now: each service's usual rate is shown.",
                messages.WARNING,
            )
        else:
            self.message_user(request, f"{version} is in use again.", messages.SUCCESS)


def risk_badge(risk) -> str:
    return render_to_string("attendance/_risk_badge.html", {"risk": risk})


def _add_risk_to_appointment_admin() -> None:
    # scheduling sits below attendance, so attendance extends scheduling's appointment admin
    # (a risk column and a read-only risk on the change page) rather than scheduling
    # importing attendance.
    base = type(admin.site._registry.get(Appointment, admin.ModelAdmin(Appointment, admin.site)))

    class AppointmentAdminWithRisk(base):
        def get_list_display(self, request):
            return [*super().get_list_display(request), "no_show_risk"]

        def get_readonly_fields(self, request, obj=None):
            return [*super().get_readonly_fields(request, obj), "no_show_risk_detail"]

        def get_fields(self, request, obj=None):
            fields = list(super().get_fields(request, obj))
            return fields if "no_show_risk_detail" in fields else [*fields, "no_show_risk_detail"]

        def get_queryset(self, request):
            return super().get_queryset(request).select_related("risk_score__model_version")

        @admin.display(description="No-show risk", ordering="risk_score__probability")
        def no_show_risk(self, appointment: Appointment) -> str:
            score = getattr(appointment, "risk_score", None)
            if score is None or not appointment.is_active:
                return "-"
            return f"{score.get_level_display()} ({score.probability:.0%})"

        @admin.display(description="No-show risk")
        def no_show_risk_detail(self, appointment: Appointment) -> str:
            if appointment is None or not appointment.is_active:
                return "-"
            return risk_badge(appointment_risks([appointment.pk]).get(appointment.pk))

    if admin.site.is_registered(Appointment):
        admin.site.unregister(Appointment)
    admin.site.register(Appointment, AppointmentAdminWithRisk)


_add_risk_to_appointment_admin()


@admin.register(RiskScore)
class RiskScoreAdmin(admin.ModelAdmin):
    list_display = ["appointment", "level", "probability", "model_version", "scored_at"]
    list_filter = ["level"]
    list_select_related = ["appointment__service", "appointment__provider", "model_version"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
