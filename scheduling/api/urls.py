from django.urls import path

from scheduling.api import series, sessions, views

urlpatterns = [
    path("appointments", views.AppointmentListCreateApi.as_view(), name="appointment-list"),
    path("appointments/available", views.AvailableSlotsApi.as_view(), name="appointment-available"),
    path("appointments/<int:pk>", views.AppointmentDetailApi.as_view(), name="appointment-detail"),
    path(
        "appointments/<int:pk>/complete",
        views.AppointmentCompleteApi.as_view(),
        name="appointment-complete",
    ),
    path(
        "appointments/<int:pk>/no-show",
        views.AppointmentNoShowApi.as_view(),
        name="appointment-no-show",
    ),
    path(
        "providers/<int:pk>/availability",
        views.ProviderAvailabilityApi.as_view(),
        name="provider-availability",
    ),
    path("series", series.SeriesListCreateApi.as_view(), name="series-list"),
    path("series/check", series.SeriesCheckApi.as_view(), name="series-check"),
    path("series/<int:pk>", series.SeriesDetailApi.as_view(), name="series-detail"),
    path("series/<int:pk>/cancel", series.SeriesCancelApi.as_view(), name="series-cancel"),
    path("series/<int:pk>/move", series.SeriesMoveApi.as_view(), name="series-move"),
    path("sessions", sessions.SessionListApi.as_view(), name="session-list"),
    path("sessions/<int:pk>", sessions.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<int:pk>/cancel", sessions.SessionCancelApi.as_view(), name="session-cancel"),
    path(
        "admin/appointments",
        views.AdminAppointmentListApi.as_view(),
        name="admin-appointment-list",
    ),
    path(
        "admin/appointments/<int:pk>",
        views.AdminAppointmentDetailApi.as_view(),
        name="admin-appointment-detail",
    ),
]
