"""Per-user notification preferences (accounts.Profile), with the staff defaults."""

from accounts.models import Profile
from notifications.models import NotificationSettings


def _profile(user) -> Profile | None:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def wants_email(user) -> bool:
    if not user.is_active or not user.email:
        return False
    profile = _profile(user)
    return profile is None or profile.email_notifications


def wants_reminders(user) -> bool:
    """Whether the user takes reminders at all: active, and not opted out."""
    if not user.is_active:
        return False
    profile = _profile(user)
    return profile is None or profile.reminders_enabled


def reminder_leads(user, *, defaults: NotificationSettings) -> list[int]:
    """Lead times in minutes for this user's reminders; empty if they opted out."""
    if not wants_reminders(user):
        return []
    profile = _profile(user)
    chosen = profile.reminder_lead_minutes if profile is not None else None
    leads = chosen if _valid_leads(chosen) else defaults.reminder_lead_minutes
    return sorted({int(v) for v in leads if isinstance(v, int) and v > 0}, reverse=True)


def _valid_leads(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    )
