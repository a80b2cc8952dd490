from django.urls import path

from notifications.api import views

urlpatterns = [
    path("notifications", views.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/read-all",
        views.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>", views.NotificationDetailApi.as_view(), name="notification-detail"
    ),
    path(
        "notifications/<int:pk>/read",
        views.NotificationReadApi.as_view(),
        name="notification-read",
    ),
    path("calendar/feed", views.CalendarFeedApi.as_view(), name="calendar-feed"),
    path(
        "calendar/feed/regenerate",
        views.CalendarFeedRegenerateApi.as_view(),
        name="calendar-feed-regenerate",
    ),
]
