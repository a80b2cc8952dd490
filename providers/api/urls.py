from django.urls import path

from providers.api import views

urlpatterns = [
    path("services", views.ServiceListApi.as_view(), name="service-list"),
    path("services/<int:pk>", views.ServiceDetailApi.as_view(), name="service-detail"),
    path("providers", views.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<int:pk>", views.ProviderDetailApi.as_view(), name="provider-detail"),
    path("admin/providers", views.AdminProviderCreateApi.as_view(), name="admin-provider-create"),
]
