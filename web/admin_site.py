"""The staff dashboard is the admin site itself, not a patch on Django's.

Installed as `admin.site` by `web.apps.SmartBookAdminConfig`, so every app's `admin.py` keeps
registering with `django.contrib.admin.site`. The site adds what is the web layer's own: the
dashboard on the index, the staff pages (CSV, conflicts, reschedule) in front of the model
URLs, and the one definition of staff as the gate.
"""

from django.contrib import admin
from django.http import HttpRequest

from web.views import staff


class SmartBookAdminSite(admin.AdminSite):
    site_header = "SmartBook staff dashboard"
    site_title = "SmartBook staff"
    index_title = "Overview"  # the dashboard section below is headed "Dashboard"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_authenticated and user.is_staff_member

    def index(self, request: HttpRequest, extra_context=None):
        context = {**staff.dashboard_context(request), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_urls(self):
        return staff.staff_urls(self) + super().get_urls()
