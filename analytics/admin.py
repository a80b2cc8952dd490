"""Hooks the staff dashboard into the default admin site, without replacing it.

- the admin index gets the dashboard's context (templates/admin/index.html draws it above
  the app list);
- the analytics pages (CSV, conflicts, reschedule) are added in front of the site's URLs;
- the provider admin (owned by providers) shows the provider's utilisation on its change page;
- the appointment admin (owned by scheduling) gains a "cancel with a reason" action with an
  intermediate page, a reschedule link per row, and a Reschedule button on its change page.

Runs when the admin autodiscovers this module, after scheduling's admin (INSTALLED_APPS order).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from analytics import admin_views
from analytics.forms import BulkCancelForm
from providers.models import Provider
from scheduling.errors import SchedulingError
from scheduling.models import Appointment
from scheduling.services import appointment_cancel

APPOINTMENT_CHANGE_FORM = "admin/analytics/appointment_change_form.html"
PROVIDER_CHANGE_FORM = "admin/analytics/provider_change_form.html"


def install_dashboard(site: admin.AdminSite) -> None:
    if getattr(site, "_analytics_dashboard_installed", False):
        return
    original_index = site.index
    original_get_urls = site.get_urls

    def index(request, extra_context=None):
        context = admin_views.dashboard_context(request)
        context.update(extra_context or {})
        return original_index(request, extra_context=context)

    def get_urls():
        return admin_views.admin_urls(site) + original_get_urls()

    site.index = index
    site.get_urls = get_urls
    site._analytics_dashboard_installed = True


@admin.action(description="Cancel selected appointments with a reason…", permissions=["change"])
def cancel_with_reason(modeladmin, request, queryset):
    """Asks for the reason on an intermediate page, then cancels each through the service
    (clients are notified by the cancellation event)."""
    form = BulkCancelForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        cancelled = 0
        for appointment in queryset.select_related("client", "provider", "service"):
            try:
                appointment_cancel(
                    appointment=appointment,
                    actor=request.user,
                    reason=reason,
                    override_policy=True,
                )
            except (SchedulingError, ValidationError, PermissionDenied) as error:
                modeladmin.message_user(
                    request,
                    f"{appointment}: not cancelled. {admin_views._error_text(error)}",
                    messages.WARNING,
                )
            else:
                cancelled += 1
        if cancelled:
            modeladmin.message_user(
                request, f"{cancelled} appointment(s) cancelled: {reason}", messages.SUCCESS
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Cancel appointments",
        "opts": modeladmin.model._meta,
        "form": form,
        "appointments": queryset.select_related("client", "provider", "service"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "cancel_with_reason",
    }
    return TemplateResponse(request, "admin/analytics/cancel_with_reason.html", context)


@admin.display(description="Reschedule")
def reschedule_link(appointment: Appointment) -> str:
    if not appointment.is_active:
        return "-"
    url = reverse("admin:analytics_reschedule", args=[appointment.pk])
    return format_html('<a href="{}">Reschedule…</a>', url)


def extend_appointment_admin(site: admin.AdminSite) -> None:
    model_admin = site._registry.get(Appointment)
    if model_admin is None:
        return
    if cancel_with_reason not in model_admin.actions:
        model_admin.actions = [*model_admin.actions, cancel_with_reason]
    if reschedule_link not in model_admin.list_display:
        model_admin.list_display = [*model_admin.list_display, reschedule_link]
    if model_admin.change_form_template is None:
        model_admin.change_form_template = APPOINTMENT_CHANGE_FORM


def extend_provider_admin(site: admin.AdminSite) -> None:
    """Shows the provider's utilisation over the last 30 days on its change page."""
    model_admin = site._registry.get(Provider)
    if model_admin is not None and model_admin.change_form_template is None:
        model_admin.change_form_template = PROVIDER_CHANGE_FORM


install_dashboard(admin.site)
extend_appointment_admin(admin.site)
extend_provider_admin(admin.site)
