"""Template context of every page: the navigation's unread count and the home page's catalogue.

The values are lazy: nothing is queried unless a template shows them.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import notification_unread_count
from providers.selectors import provider_list, service_list


def _service_catalogue() -> list[dict]:
    """Active services grouped by category, each with the providers offering it."""
    providers = list(provider_list())
    groups: dict[int, dict] = {}
    for service in service_list():
        group = groups.setdefault(
            service.category_id, {"category": service.category, "services": []}
        )
        group["services"].append(
            {
                "service": service,
                "providers": [p for p in providers if service in p.services.all()],
            }
        )
    return list(groups.values())


def page_context(request: HttpRequest) -> dict:
    """Template context processor for the layout and the home page."""
    context: dict = {
        "contact_email": settings.CONTACT_EMAIL,
        "service_catalogue": SimpleLazyObject(_service_catalogue),
        "catalogue_providers": SimpleLazyObject(lambda: list(provider_list())),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_unread_notifications"] = SimpleLazyObject(
            lambda: notification_unread_count(user=user)
        )
    return context
