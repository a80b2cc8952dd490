from django.urls import path

from analytics.api import views

urlpatterns = [
    path(
        "admin/analytics/bookings",
        views.BookingsAnalyticsApi.as_view(),
        name="admin-analytics-bookings",
    ),
    path("admin/analytics/users", views.UsersAnalyticsApi.as_view(), name="admin-analytics-users"),
]
