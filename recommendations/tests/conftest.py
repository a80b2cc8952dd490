from datetime import UTC, datetime

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory

# Monday 2 March 2026, 08:00 UTC (London is on GMT).
FROZEN_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen_instant():
    """Where the root `frozen_now` stops the clock in these tests."""
    return FROZEN_NOW


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def providers(db, service):
    """Two London providers working Monday to Friday 09:00-17:00, offering `service`."""
    return [ProviderFactory(services=[service]), ProviderFactory(services=[service])]


@pytest.fixture
def artifact_dir(settings, tmp_path):
    settings.MODEL_ARTIFACT_DIR = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _no_exploration(request):
    """Deterministic rankings in database tests (exploration has its own test)."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from recommendations.models import SchedulerSettings

    SchedulerSettings.objects.update_or_create(pk=1, defaults={"exploration_share": 0.0})
