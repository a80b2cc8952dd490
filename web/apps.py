from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    """The screens: client and provider pages, the navigation context, the staff tools."""

    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "web"


class SmartBookAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site as `admin.site`: every app registers with it as usual."""

    default = False
    default_site = "web.admin_site.SmartBookAdminSite"
