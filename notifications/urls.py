from django.urls import path

from notifications import views

urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed-ics"),
    path("appointments/<int:pk>/ics", views.appointment_ics, name="appointment-ics"),
]
