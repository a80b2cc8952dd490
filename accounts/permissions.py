"""Role permissions shared by every app's API."""

from rest_framework.permissions import BasePermission


class IsAdminRole(BasePermission):
    """Staff only, by the one definition of staff (`User.is_staff_member`)."""

    message = "Only administrators can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)
