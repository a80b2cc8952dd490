from datetime import timedelta

from django import template
from django.utils import timezone

from analytics.selectors import DEFAULT_DAYS, provider_utilisation

register = template.Library()


@register.simple_tag
def utilisation_last_30_days(provider) -> str:
    """ "23.4%" of the provider's working time booked over the last 30 days ("n/a": no hours)."""
    if provider is None or provider.pk is None:
        return ""
    end = timezone.now()
    value = provider_utilisation(provider, end - timedelta(days=DEFAULT_DAYS), end)
    return "n/a" if value is None else f"{value * 100:.1f}%"
