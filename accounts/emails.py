"""What every account email of ours shows besides its own words (allauth's, through our
adapter, and the API's password reset): whom it greets, our address and how to reach us."""

from django.conf import settings


def account_email_context(user, email: str) -> dict:
    name = getattr(user, "first_name", "") or ""
    return {
        "recipient_name": name or "there",
        "site_url": settings.SITE_URL,
        "contact_email": settings.CONTACT_EMAIL,
        "email": email,
    }
