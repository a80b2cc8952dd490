"""The screens' URLs (the API lives under /api/, the calendar feeds in notifications)."""

from django.urls import path

from web.views import account, attendance, calendars, hours, manage, pages, waitlist

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
    path("schedule/hours", hours.schedule_hours, name="schedule-hours"),
    path("schedule/calendars", calendars.calendars_page, name="calendars-page"),
    path("schedule/calendars/subscribe", calendars.calendar_subscribe, name="calendar-subscribe"),
    path(
        "schedule/calendars/caldav",
        calendars.calendar_connect_caldav,
        name="calendar-connect-caldav",
    ),
    path(
        "schedule/calendars/<int:pk>/calendars", calendars.calendar_choose, name="calendar-choose"
    ),
    path("schedule/calendars/<int:pk>/sync", calendars.calendar_sync, name="calendar-sync"),
    path(
        "schedule/calendars/<int:pk>/disconnect",
        calendars.calendar_disconnect,
        name="calendar-disconnect",
    ),
    path("notifications", pages.notifications_page, name="notifications-page"),
    path("profile", pages.profile_page, name="profile-page"),
    path("appointments/<int:pk>/earlier", waitlist.appointment_earlier, name="appointment-earlier"),
    path("waitlist", waitlist.waitlist_page, name="waitlist-page"),
    path("waitlist/join", waitlist.waitlist_join, name="waitlist-join"),
    path("waitlist/entries/<int:pk>", waitlist.waitlist_entry, name="waitlist-entry"),
    path(
        "waitlist/entries/<int:pk>/leave",
        waitlist.waitlist_entry_leave,
        name="waitlist-entry-leave",
    ),
    path(
        "waitlist/offers/<int:pk>/<str:action>", waitlist.offer_answer, name="waitlist-offer-answer"
    ),
    # waitlist.links.LINK_PATH: the one-click links of the offer emails.
    path(
        "waitlist/offers/<str:action>/<str:token>",
        waitlist.offer_link,
        name="waitlist-offer-link",
    ),
    # scheduling.manage_links.PATHS: an email's view, reschedule and cancel links.
    path("manage/<str:token>", manage.manage_view, name="manage-appointment"),
    path("manage/<str:token>/reschedule", manage.manage_reschedule, name="manage-reschedule"),
    path("manage/<str:token>/cancel", manage.manage_cancel, name="manage-cancel"),
    # attendance.actions.LINK_PATH: the extra reminder's "I'm coming" / "I can't make it".
    path(
        "attendance/<str:answer>/<str:token>",
        attendance.answer_link,
        name="attendance-answer-link",
    ),
]
