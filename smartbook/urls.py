from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("accounts.api.urls")),
    path("", include("providers.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("recommendations.api.urls")),
    path("", include("waitlist.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("calendars.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),  # web.admin_site.SmartBookAdminSite
    path("accounts/", include("allauth.urls")),
    path("api/", include(api_urlpatterns)),
    path("", include("web.urls")),
    path("", include("notifications.urls")),
]

# Unmatched /api/ URLs (e.g. /api/appointments/-1) answer with the API's JSON error envelope.
handler404 = "smartbook.api.errors.page_not_found"
handler500 = "smartbook.api.errors.server_error"
