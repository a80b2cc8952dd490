"""Role permissions shared by every app's API."""

from rest_framework.permissions import BasePermission

from accounts.principals import is_api_key


class IsAdminRole(BasePermission):
    """Staff only, by the one definition of staff (`User.is_staff_member`)."""

    message = "Only administrators can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)


class IsAdminRoleOrAPIKey(IsAdminRole):
    """Staff, or a request authenticated by an API key. A key's scope for this view and method
    was checked when it authenticated (`accounts.api.keys`), so a key gets here only with it."""

    def has_permission(self, request, view) -> bool:
        return is_api_key(request.user) or super().has_permission(request, view)
