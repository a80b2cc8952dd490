from django.urls import path

from recommendations.api import views

urlpatterns = [
    path(
        "appointments/recommended",
        views.RecommendedSlotsApi.as_view(),
        name="appointment-recommended",
    ),
    path(
        "users/profile/providers",
        views.ProviderPreferencesApi.as_view(),
        name="profile-provider-preferences",
    ),
]
