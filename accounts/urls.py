from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("password/reset/<str:token>", views.password_reset_token, name="password-reset-token"),
]
