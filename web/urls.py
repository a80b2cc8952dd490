"""The screens' URLs (the API lives under /api/, the calendar feeds in notifications)."""

from django.urls import path

from web.views import account, pages

urlpatterns = [
    path("", account.home, name="home"),
    path("password/reset/<str:token>", account.password_reset_token, name="password-reset-token"),
    path("book", pages.book, name="book"),
    path("appointments", pages.appointment_list, name="appointment-list"),
    path("appointments/<int:pk>", pages.appointment_detail, name="appointment-detail"),
    path(
        "appointments/<int:pk>/reschedule",
        pages.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path("schedule", pages.provider_schedule, name="provider-schedule"),
    path("notifications", pages.notifications_page, name="notifications-page"),
    path("profile", pages.profile_page, name="profile-page"),
]
