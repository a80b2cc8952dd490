import factory

from accounts.models import Profile, Role, User

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CLIENT
    timezone = "Europe/London"
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def with_profile(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            Profile.objects.get_or_create(user=obj)


def verified_user(**kwargs) -> User:
    """A user whose email address is verified (allauth), so they can log in."""
    from accounts.services import user_email_mark_verified

    user = UserFactory(**kwargs)
    user_email_mark_verified(user=user)
    return user
