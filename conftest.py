"""Fixtures shared by every app's tests."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    # Argon2 is deliberately slow; tests don't need that.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="client")


@pytest.fixture
def other_client_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="client")


@pytest.fixture
def admin_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def provider(db):
    from providers.tests.factories import ProviderFactory

    return ProviderFactory()


def auth_client(user) -> APIClient:
    """An API client authenticated as `user` with a real JWT bearer token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api


@pytest.fixture
def client_api(client_user) -> APIClient:
    return auth_client(client_user)


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return auth_client(admin_user)
