from django.contrib import admin, messages

from notifications import services
from notifications.models import (
    CalendarFeed,
    EmailDelivery,
    ExtraReminder,
    Notification,
    NotificationSettings,
    Reminder,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "user__email"]
    raw_id_fields = ["user", "appointment"]
    date_hierarchy = "created_at"


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["appointment", "recipient", "lead_minutes", "sequence", "due_at", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "lead_minutes"]
    search_fields = ["recipient__email"]
    raw_id_fields = ["appointment", "recipient"]
    readonly_fields = ["sent_at", "created_at"]
    date_hierarchy = "due_at"


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["subject", "to_email", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject", "last_error"]
    raw_id_fields = ["recipient", "appointment"]
    readonly_fields = [
        "status",
        "attempts",
        "last_error",
        "locked_until",
        "next_attempt_at",
        "sent_at",
        "dedupe_key",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "created_at"
    actions = ["retry"]

    @admin.action(description="Retry sending the selected emails")
    def retry(self, request, queryset):
        count = services.email_deliveries_retry(
            delivery_ids=list(queryset.values_list("id", flat=True))
        )
        self.message_user(request, f"{count} email(s) queued again.", messages.SUCCESS)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reminder_lead_minutes", "digest_hour", "max_email_retries"]

    def has_add_permission(self, request) -> bool:
        return not NotificationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        services.notification_settings_save(instance=obj)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["token", "created_at"]


@admin.register(ExtraReminder)
class ExtraReminderAdmin(admin.ModelAdmin):
    """The extra reminders of high-risk appointments, and the deadline each one told."""

    list_display = ["appointment", "sent_at", "confirm_by"]
    list_filter = [("confirm_by", admin.EmptyFieldListFilter)]
    search_fields = ["appointment__client__email"]
    raw_id_fields = ["appointment"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
