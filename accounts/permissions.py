"""Role permissions shared by every app's API."""

from rest_framework.permissions import BasePermission

from accounts.models import Role


class IsClient(BasePermission):
    message = "Only clients can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.CLIENT)


class IsProvider(BasePermission):
    message = "Only providers can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.PROVIDER)


class IsAdminRole(BasePermission):
    message = "Only administrators can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin_role)
