from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="api-register"),
    path("auth/login", views.LoginView.as_view(), name="api-login"),
    path("auth/logout", views.LogoutView.as_view(), name="api-logout"),
    path("auth/refresh", views.RefreshView.as_view(), name="api-refresh"),
    path(
        "auth/password/reset",
        views.PasswordResetRequestView.as_view(),
        name="api-password-reset",
    ),
    path(
        "auth/password/reset/<str:token>",
        views.PasswordResetConfirmView.as_view(),
        name="api-password-reset-confirm",
    ),
    path("users/profile", views.ProfileView.as_view(), name="api-profile"),
    path("admin/users", views.AdminUserListView.as_view(), name="api-admin-users"),
    path(
        "admin/users/<int:user_id>",
        views.AdminUserDetailView.as_view(),
        name="api-admin-user-detail",
    ),
]
