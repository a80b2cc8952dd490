"""Staff screens for scheduling. Actions call the services (with an explicit policy
override), so staff follow the same rules as everyone else and never create an overlap."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from scheduling import services
from scheduling.errors import SchedulingError
from scheduling.models import Appointment, AppointmentChange, BookingPolicy


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "slot_step_minutes",
        "min_notice_minutes",
        "horizon_days",
        "client_cutoff_hours",
        "max_client_appointments_per_day",
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not BookingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AppointmentChangeInline(admin.TabularInline):
    model = AppointmentChange
    extra = 0
    can_delete = False
    fields = ["old_start", "new_start", "changed_by", "reason", "changed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "client", "provider", "service", "status", "urgency", "source"]
    list_filter = [("start", admin.DateFieldListFilter), "status", "provider", "service"]
    date_hierarchy = "start"
    search_fields = ["client__email", "client__first_name", "client__last_name"]
    list_select_related = ["client", "provider", "service"]
    inlines = [AppointmentChangeInline]
    actions = ["cancel_appointments", "mark_completed", "mark_no_show"]
    readonly_fields = [
        "uid",
        "client",
        "provider",
        "service",
        "start",
        "end",
        "blocked_start",
        "blocked_end",
        "status",
        "source",
        "cancelled_by",
        "cancelled_at",
        "cancellation_reason",
        "sequence",
        "created_at",
        "updated_at",
    ]
    fields = ["client_notes", "urgency", *readonly_fields]
    # Only the notes are edited here; time and status change through the actions (services).
    readonly_fields = [*readonly_fields, "urgency"]

    def has_add_permission(self, request) -> bool:
        # Booking goes through the booking service (API or web pages), never a raw form.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelling keeps the row (DESIGN.md invariant 6)

    def _apply(self, request, queryset, action, done: str) -> None:
        succeeded = 0
        for appointment in queryset.select_related("provider", "client", "service"):
            try:
                action(appointment)
            except (SchedulingError, ValidationError, PermissionDenied) as exc:
                message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
                self.message_user(
                    request, f"{appointment}: {message or exc}", level=messages.WARNING
                )
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} appointment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Cancel selected appointments", permissions=["change"])
    def cancel_appointments(self, request, queryset) -> None:
        self._apply(
            request,
            queryset,
            lambda appointment: services.appointment_cancel(
                appointment=appointment,
                actor=request.user,
                reason="Cancelled by staff",
                override_policy=True,
            ),
            "cancelled",
        )

    @admin.action(description="Mark selected appointments completed", permissions=["change"])
    def mark_completed(self, request, queryset) -> None:
        self._apply(
            request,
            queryset,
            lambda appointment: services.appointment_complete(
                appointment=appointment, actor=request.user
            ),
            "marked completed",
        )

    @admin.action(description="Mark selected appointments no-show", permissions=["change"])
    def mark_no_show(self, request, queryset) -> None:
        self._apply(
            request,
            queryset,
            lambda appointment: services.appointment_mark_no_show(
                appointment=appointment, actor=request.user
            ),
            "marked no-show",
        )


class ClientAppointmentInline(admin.TabularInline):
    """A user's appointment history on their admin page (read-only: changes go through the
    appointment actions, which call the services)."""

    model = Appointment
    fk_name = "client"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-start"]
    fields = ["start", "provider", "service", "status", "source"]
    readonly_fields = fields
    verbose_name_plural = "appointment history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "service")


def _add_history_to_user_admin() -> None:
    # accounts sits below scheduling in the dependency graph, so scheduling extends the user
    # admin rather than accounts importing scheduling.
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    base = type(admin.site._registry.get(user_model, admin.ModelAdmin(user_model, admin.site)))

    class UserAdminWithHistory(base):
        def get_inlines(self, request, obj):
            inlines = super().get_inlines(request, obj)
            # A user being added has no history (and no formset to submit for it).
            return [*inlines, ClientAppointmentInline] if obj is not None else inlines

    if admin.site.is_registered(user_model):
        admin.site.unregister(user_model)
    admin.site.register(user_model, UserAdminWithHistory)


_add_history_to_user_admin()
