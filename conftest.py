"""Fixtures shared by every app's tests. Plain helpers live in importable modules
(`accounts.tests.support`, each app's `tests/support.py`), not here."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.tests.support import auth_client

# A Monday morning in January (London is on GMT, so its wall clock equals UTC).
FROZEN_INSTANT = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


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
def frozen_instant() -> datetime:
    """Where `frozen_now` stops the clock; an app's conftest overrides it for its own calendar."""
    return FROZEN_INSTANT


@pytest.fixture
def frozen_now(frozen_instant, time_machine) -> datetime:
    """The clock stopped at `frozen_instant`, returned. A test moves it further with
    `time_machine.move_to(...)` (the same traveller, so it stays stopped)."""
    time_machine.move_to(frozen_instant, tick=False)
    return frozen_instant


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


@pytest.fixture
def client_api(client_user) -> APIClient:
    return auth_client(client_user)


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return auth_client(admin_user)
