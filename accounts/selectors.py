"""Read side of accounts. Each function runs a bounded number of queries."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Profile, Role, User


def user_profile(*, user: User) -> Profile:
    """The user's profile, or an unsaved one with the defaults if none was created yet."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user)


def user_list(
    *, role: str | None = None, is_active: bool | None = None, search: str | None = None
) -> QuerySet[User]:
    users = User.objects.select_related("profile").order_by("email")
    if role:
        users = users.filter(role=role)
    if is_active is not None:
        users = users.filter(is_active=is_active)
    for word in (search or "").split():
        users = users.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return users


def user_get(*, user_id: int) -> User:
    return get_object_or_404(User.objects.select_related("profile"), pk=user_id)


def staff_members() -> QuerySet[User]:
    """The users `User.is_staff_member` is true of, as a query: active, with the admin role or
    superuser. Keep the two together."""
    return User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
