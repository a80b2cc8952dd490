"""What the services share: who may change a provider's calendars."""

from django.core.exceptions import PermissionDenied

from accounts.models import User
from providers.models import Provider


def ensure_may_manage(actor: User | None, provider: Provider) -> None:
    if actor is None or actor.is_staff_member or actor.pk == provider.user_id:
        return
    raise PermissionDenied("Only the provider or staff can change these calendars.")
