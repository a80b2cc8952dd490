from django.urls import path

from scheduling.api import views

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
