"""Staff screens for scheduling. Actions call the services (with an explicit policy
override), so staff follow the same rules as everyone else and never create an overlap.

The change page's Reschedule button and the list's reschedule column lead to the staff
reschedule page, which the admin site (web.admin_site) mounts as `admin:analytics_reschedule`.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from scheduling import series as series_services
from scheduling import services, sessions
from scheduling.errors import InvalidTransition, SchedulingError
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentSeries,
    BookingPolicy,
    GroupSession,
)


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
    fieldsets = [
        (
            "Booking",
            {
                "fields": [
                    "slot_step_minutes",
                    "min_notice_minutes",
                    "horizon_days",
                    "client_cutoff_hours",
                    "max_client_appointments_per_day",
                    "urgent_window_days",
                ]
            },
        ),
        (
            "Waitlist",
            {
                "fields": [
                    "hold_minutes",
                    "offer_batch_size",
                    "offer_quiet_from",
                    "offer_quiet_until",
                ]
            },
        ),
        (
            "Acting on no-show risk",
            {
                "description": "What the clinic does for appointments at high risk of a "
                "no-show. The risk never stops anyone from booking.",
                "fields": [
                    "extra_reminder_for_high_risk",
                    "extra_reminder_hours_before",
                    "confirm_or_release",
                    "confirm_by_hours_before",
                    "release_warning_hours",
                    "standby_places",
                ],
            },
        ),
        (
            "External calendars",
            {
                "description": "Providers' own calendars (subscriptions and CalDAV) whose busy "
                "time blocks booking.",
                "fields": ["calendar_stale_minutes", "offer_when_calendar_stale"],
            },
        ),
        (
            "Recurring series",
            {
                "description": "A course of appointments booked in one step (every week, every "
                "two weeks, every month on the same weekday). Each appointment of it is checked "
                "by the same booking rules.",
                "fields": [
                    "series_enabled",
                    "series_max_occurrences",
                    "series_horizon_days",
                    "series_excluded_services",
                ],
            },
        ),
    ]
    filter_horizontal = ["series_excluded_services"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not BookingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CancelWithReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Sent to the clients."
    )


def apply_each(model_admin, request, rows, action, *, done: str) -> None:
    """An admin action through the services: `action` per selected row, each refusal a
    warning naming the row in the service's words, then how many succeeded ("3 {done}.")."""
    succeeded = 0
    for row in rows:
        try:
            action(row)
        except (SchedulingError, ValidationError, PermissionDenied) as exc:
            message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
            model_admin.message_user(request, f"{row}: {message or exc}", level=messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on another object's page, never added, changed or deleted there: changes
    go through the services (the appointment actions, the series and sessions actions)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AppointmentChangeInline(ReadOnlyInline):
    model = AppointmentChange
    fields = ["old_start", "new_start", "changed_by", "reason", "changed_at"]


def _viewer_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = [
        "starts",
        "ends",
        "client",
        "provider",
        "service",
        "status",
        "urgency",
        "source",
        "reschedule_link",
    ]
    list_filter = [("start", admin.DateFieldListFilter), "status", "provider", "service"]
    date_hierarchy = "start"
    ordering = ["-start", "-pk"]  # the latest first, as staff look for them
    search_fields = ["client__email", "client__first_name", "client__last_name"]
    list_select_related = ["client", "provider", "service"]
    inlines = [AppointmentChangeInline]
    actions = ["cancel_with_reason", "mark_completed", "mark_no_show"]
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
        "series",
        "series_original_start",
        "created_at",
        "updated_at",
    ]
    fields = ["client_notes", "urgency", *readonly_fields]
    # Only the notes are edited here; time and status change through the actions (services).
    readonly_fields = [*readonly_fields, "urgency"]

    def changelist_view(self, request, extra_context=None):
        # Times in the staff member's own zone (named in each cell), rendered while it is on.
        with timezone.override(_viewer_zone(request.user)):
            response = super().changelist_view(request, extra_context=extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    @admin.display(description="Starts", ordering="start")
    def starts(self, appointment: Appointment) -> str:
        local = timezone.localtime(appointment.start)
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()} ({local.tzinfo.key})"

    @admin.display(description="Ends", ordering="end")
    def ends(self, appointment: Appointment) -> str:
        return f"{timezone.localtime(appointment.end):%H:%M}"

    def has_add_permission(self, request) -> bool:
        # Booking goes through the booking service (API or web pages), never a raw form.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelling keeps the row (DESIGN.md invariant 6)

    def _apply(self, request, queryset, action, done: str) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("provider", "client", "service"),
            action,
            done=f"appointment(s) {done}",
        )

    @admin.display(description="Reschedule")
    def reschedule_link(self, appointment: Appointment) -> str:
        if not appointment.is_active:
            return "-"
        url = reverse("admin:analytics_reschedule", args=[appointment.pk])
        return format_html('<a href="{}">Reschedule…</a>', url)

    @admin.action(description="Cancel selected appointments with a reason…", permissions=["change"])
    def cancel_with_reason(self, request, queryset):
        """Asks for the reason on an intermediate page, then cancels each through the service
        (clients are notified by the cancellation event)."""
        form = CancelWithReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda appointment: services.appointment_cancel(
                    appointment=appointment,
                    actor=request.user,
                    reason=reason,
                    override_policy=True,
                ),
                f"cancelled: {reason}",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel appointments",
            "opts": self.model._meta,
            "form": form,
            "appointments": queryset.select_related("client", "provider", "service"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "cancel_with_reason",
        }
        return TemplateResponse(
            request, "admin/scheduling/appointment/cancel_with_reason.html", context
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


class SeriesOccurrenceInline(ReadOnlyInline):
    model = Appointment
    fk_name = "series"
    fields = ["series_original_start", "start", "status", "cancellation_reason"]
    ordering = ["series_original_start"]
    show_change_link = True


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(admin.ModelAdmin):
    """Series are booked through the booking service (API, pages); here staff see them and
    cancel what is still to come, through `scheduling.series`."""

    list_display = ["__str__", "client", "provider", "service", "frequency", "first_start"]
    list_filter = ["frequency", "provider", "service"]
    search_fields = ["client__email", "client__first_name", "client__last_name"]
    list_select_related = ["client", "provider", "service"]
    inlines = [SeriesOccurrenceInline]
    actions = ["cancel_upcoming"]
    readonly_fields = [
        "uid",
        "client",
        "provider",
        "service",
        "frequency",
        "count",
        "until",
        "first_start",
        "timezone",
        "created_by",
        "sequence",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelling keeps the rows

    @admin.action(description="Cancel every upcoming appointment of the selected series")
    def cancel_upcoming(self, request, queryset) -> None:
        def cancel(series) -> None:
            upcoming = (
                series.occurrences.filter(status__in=ACTIVE_STATUSES, start__gt=timezone.now())
                .order_by("start")
                .first()
            )
            if upcoming is None:
                raise InvalidTransition("nothing still to come.")
            series_services.series_cancel(
                appointment=upcoming,
                scope=series_services.Scope.ALL,
                actor=request.user,
                reason="Cancelled by the clinic",
                override_policy=True,
            )

        apply_each(self, request, queryset, cancel, done="series cancelled")


class SessionSeatInline(ReadOnlyInline):
    model = Appointment
    fk_name = "session"
    verbose_name = "attendee"
    fields = ["client", "status", "created_at", "cancellation_reason"]
    ordering = ["created_at"]
    show_change_link = True


@admin.register(GroupSession)
class GroupSessionAdmin(admin.ModelAdmin):
    """Sessions open with their first seat (booked through the booking service); here staff
    see the attendees and cancel a session, which tells every attendee
    (`scheduling.sessions`)."""

    list_display = ["__str__", "provider", "service", "start", "participants", "status"]
    list_filter = ["status", "provider", "service"]
    date_hierarchy = "start"
    list_select_related = ["provider", "service"]
    ordering = ["-start"]
    inlines = [SessionSeatInline]
    actions = ["cancel_sessions"]
    readonly_fields = [
        "uid",
        "provider",
        "service",
        "start",
        "end",
        "status",
        "minimum_checked_at",
        "cancelled_at",
        "cancellation_reason",
        "created_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participants=sessions.PARTICIPANTS)

    @admin.display(description="participants", ordering="participants")
    def participants(self, session) -> str:
        return f"{session.participants} of {session.service.capacity}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelling keeps the rows

    @admin.action(description="Cancel the selected sessions and tell every attendee")
    def cancel_sessions(self, request, queryset) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("provider", "service"),
            lambda session: sessions.session_cancel(
                session=session, actor=request.user, reason="Cancelled by the clinic"
            ),
            done="session(s) cancelled",
        )


class ClientAppointmentInline(ReadOnlyInline):
    """A user's appointment history on their admin page."""

    model = Appointment
    fk_name = "client"
    show_change_link = True
    ordering = ["-start"]
    fields = ["start", "provider", "service", "status", "source"]
    verbose_name_plural = "appointment history"

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
