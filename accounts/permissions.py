"""Role permissions shared by every app's API."""

from rest_framework.permissions import BasePermission

from accounts.principals import is_api_key


class IsAdminRole(BasePermission):
    """Staff only, by the one definition of staff (`User.is_staff_member`)."""

    message = "Only administrators can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)


class IsAPIKey(BasePermission):
    """A request authenticated by an API key. Its scope for this view and method was checked
    when it authenticated (`accounts.api.keys`), so this only says "a key, not a person"."""

    def has_permission(self, request, view) -> bool:
        return is_api_key(request.user)
