"""Web pages of the client and provider (the API lives in `scheduling/api/`)."""

from django.urls import path

from scheduling import views

urlpatterns = [
    path("book", views.book, name="book"),
    path("appointments", views.appointment_list, name="appointment-list"),
    path("appointments/<int:pk>", views.appointment_detail, name="appointment-detail"),
    path(
        "appointments/<int:pk>/reschedule",
        views.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path("schedule", views.provider_schedule, name="provider-schedule"),
    path("notifications", views.notifications_page, name="notifications-page"),
    path("profile", views.profile_page, name="profile-page"),
]
