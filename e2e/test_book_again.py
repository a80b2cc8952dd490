""" "Book again" from My appointments: the booking page opens on the same service and provider
and offers only that provider's times."""

from datetime import timedelta

import pytest
from django.utils import timezone

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_book_again_opens_the_same_service_and_provider(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory
    from scheduling.models import AppointmentStatus
    from scheduling.tests.factories import AppointmentFactory

    service, provider = clinic["service"], clinic["providers"][1]
    client_user = UserFactory(timezone="Europe/London")
    AppointmentFactory(
        client=client_user,
        service=service,
        provider=provider,
        start=timezone.now() - timedelta(days=3),
        status=AppointmentStatus.COMPLETED,
    )
    page = new_page()
    login_as(page, live_server, client_user)
    page.goto("/appointments")
    page.get_by_role(
        "link", name=f"Book again: {service.name} with {provider.display_name}"
    ).click()

    page.wait_for_selector("#browse:not([aria-busy]) .sb-day")
    assert page.locator("#service").input_value() == str(service.pk)
    assert page.locator("#provider").input_value() == str(provider.pk)
    slots = page.locator("button.sb-slot")
    assert slots.count() > 0
    for i in range(min(slots.count(), 10)):
        label = slots.nth(i).get_attribute("aria-label")
        assert label.endswith(f" with {provider.display_name}"), label
