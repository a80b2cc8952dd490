"""Reads for providers and services, with a fixed number of queries whatever the size."""

from django.db.models import Prefetch, QuerySet

from providers.models import Provider, Service, ServiceCategory, TimeOff, WorkingHours


def service_list(*, category: ServiceCategory | None = None) -> QuerySet[Service]:
    """Active services with their category (one query)."""
    services = Service.objects.filter(is_active=True).select_related("category")
    if category is not None:
        services = services.filter(category=category)
    return services.order_by("category__name", "name", "pk")


def service_get(*, service_id: int) -> Service:
    """An active service; raises Service.DoesNotExist otherwise."""
    return service_list().get(pk=service_id)


def category_get_by_key(*, key: str) -> ServiceCategory:
    """A category by id or slug; raises ServiceCategory.DoesNotExist otherwise."""
    if key.isdigit():
        return ServiceCategory.objects.get(pk=int(key))
    return ServiceCategory.objects.get(slug=key)


def _hours_prefetch() -> Prefetch:
    return Prefetch(
        "working_hours", queryset=WorkingHours.objects.order_by("weekday", "start_time")
    )


def _active_providers() -> QuerySet[Provider]:
    return (
        Provider.objects.filter(is_active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "services",
                queryset=Service.objects.filter(is_active=True)
                .select_related("category")
                .order_by("name", "pk"),
            )
        )
    )


def provider_list(*, service: Service | None = None) -> QuerySet[Provider]:
    """Active providers (of active users), optionally only those offering `service`, with
    their active services prefetched (two queries however many providers)."""
    providers = _active_providers()
    if service is not None:
        providers = providers.filter(services=service)
    return providers.order_by("display_name", "pk")


def provider_get(*, provider_id: int) -> Provider:
    """An active provider with services and working hours; raises Provider.DoesNotExist."""
    return _active_providers().prefetch_related(_hours_prefetch()).get(pk=provider_id)


def provider_get_any(*, provider_id: int) -> Provider:
    """A provider whatever its state (for staff)."""
    return provider_list_all().get(pk=provider_id)


def provider_list_all() -> QuerySet[Provider]:
    return Provider.objects.select_related("user").prefetch_related(
        Prefetch("services", queryset=Service.objects.select_related("category")),
        _hours_prefetch(),
    )


def upcoming_time_off(*, provider: Provider, now, limit: int = 20) -> list[TimeOff]:
    """The provider's time off not yet over, soonest first (the schedule pages list it)."""
    return list(provider.time_off.filter(end__gt=now).order_by("start")[:limit])
