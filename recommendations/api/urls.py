from django.urls import path

from recommendations.api import views

urlpatterns = [
    path(
        "appointments/recommended",
        views.RecommendedSlotsApi.as_view(),
        name="appointment-recommended",
    ),
]
