from django.urls import path

from calendars.api import views

urlpatterns = [
    path(
        "calendars/connections",
        views.ConnectionListCreateApi.as_view(),
        name="calendar-connection-list",
    ),
    path(
        "calendars/connections/<int:pk>",
        views.ConnectionDetailApi.as_view(),
        name="calendar-connection-detail",
    ),
    path(
        "calendars/connections/<int:pk>/calendars",
        views.ConnectionCalendarsApi.as_view(),
        name="calendar-connection-calendars",
    ),
    path(
        "calendars/connections/<int:pk>/sync",
        views.ConnectionSyncApi.as_view(),
        name="calendar-connection-sync",
    ),
]
