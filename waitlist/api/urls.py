from django.urls import path

from waitlist.api import views

urlpatterns = [
    path("waitlist/entries", views.EntryListCreateApi.as_view(), name="waitlist-entry-list"),
    path("waitlist/entries/<int:pk>", views.EntryDetailApi.as_view(), name="waitlist-entry-detail"),
    path("waitlist/offers", views.OfferListApi.as_view(), name="waitlist-offer-list"),
    path("waitlist/offers/<int:pk>", views.OfferDetailApi.as_view(), name="waitlist-offer-detail"),
    path(
        "waitlist/offers/<int:pk>/accept",
        views.OfferAcceptApi.as_view(),
        name="waitlist-offer-accept",
    ),
    path(
        "waitlist/offers/<int:pk>/decline",
        views.OfferDeclineApi.as_view(),
        name="waitlist-offer-decline",
    ),
    path(
        "waitlist/offers/token/accept",
        views.OfferTokenAcceptApi.as_view(),
        name="waitlist-offer-token-accept",
    ),
    path(
        "waitlist/offers/token/decline",
        views.OfferTokenDeclineApi.as_view(),
        name="waitlist-offer-token-decline",
    ),
]
