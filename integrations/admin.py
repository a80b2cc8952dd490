"""Staff's webhooks: endpoints (a secret shown once, rotation, a test event, enable again)
and the read-only delivery log with "send again"."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from integrations import services
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.tasks import enqueue_deliveries


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]
        field_classes = {"url": forms.CharField}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "created_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
    ]
    actions = ["rotate_secret", "send_test_event", "enable_again"]

    def save_model(self, request, obj, form, change):
        services.endpoint_save(endpoint=obj)
        if not change:
            self.message_user(
                request,
                format_html(
                    "The endpoint's signing secret is <code>{}</code>. Copy it now: it is "
                    "not shown again.",
                    obj.secret,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Rotate the secret (the old one signs on for the overlap)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = services.endpoint_rotate_secret(endpoint=endpoint)
            self.message_user(
                request,
                format_html(
                    "New secret of {}: <code>{}</code>. Copy it now: it is not shown again.",
                    endpoint,
                    secret,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset):
        ids = [services.endpoint_send_test(endpoint=endpoint) for endpoint in queryset]
        enqueue_deliveries(ids)
        self.message_user(request, f"{len(ids)} test event(s) queued; see the delivery log.")

    @admin.action(description="Enable again (clears the failure state)")
    def enable_again(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_enable(endpoint=endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) enabled.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "last_error",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id", "appointment_id"]
    date_hierarchy = "created_at"
    list_select_related = ["endpoint"]
    fields = [
        "endpoint",
        "event_type",
        "event_id",
        "appointment_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "payload_json",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="payload")
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.action(description="Send again")
    def send_again(self, request, queryset):
        deliveries = list(queryset)
        for delivery in deliveries:
            services.delivery_resend(delivery=delivery)
        enqueue_deliveries([delivery.pk for delivery in deliveries])
        self.message_user(request, f"{len(deliveries)} delivery(ies) due again.")
