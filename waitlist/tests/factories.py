"""Waitlist rows straight with the ORM, to arrange a test's waitlist (the services are tested
through themselves)."""

from datetime import time, timedelta

import factory
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from providers.tests.factories import ServiceFactory
from waitlist.models import WaitlistEntry, WaitlistRange


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WaitlistEntry

    client = factory.SubFactory(UserFactory, role=Role.CLIENT)
    service = factory.SubFactory(ServiceFactory)
    expires_on = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=30)).date())
    created_at = factory.LazyFunction(timezone.now)


class WaitlistRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WaitlistRange

    entry = factory.SubFactory(WaitlistEntryFactory)
    first_date = factory.LazyFunction(lambda: timezone.now().date())
    last_date = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=14)).date())
    earliest = time(9)
    latest = time(17)
