from datetime import time

import factory

from accounts.models import Role
from accounts.tests.factories import UserFactory
from providers.models import Provider, Service, ServiceCategory, WorkingHours


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    category = factory.SubFactory(ServiceCategoryFactory)
    name = factory.Sequence(lambda n: f"Consultation {n}")
    duration_minutes = 30
    price = 50


class ProviderFactory(factory.django.DjangoModelFactory):
    """A provider in Europe/London working Monday to Friday, 09:00-17:00."""

    class Meta:
        model = Provider
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.PROVIDER)
    display_name = factory.Sequence(lambda n: f"Dr. Provider {n}")
    timezone = "Europe/London"

    @factory.post_generation
    def hours(obj, create, extracted, **kwargs):
        if not create:
            return
        intervals = extracted if extracted is not None else [(time(9), time(17))]
        for weekday in range(5):
            for start, end in intervals:
                WorkingHours.objects.create(
                    provider=obj, weekday=weekday, start_time=start, end_time=end
                )

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.services.set(extracted)
