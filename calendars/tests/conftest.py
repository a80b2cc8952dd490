"""Fixtures of the calendar tests: a real Radicale server and a real HTTP file server on
loopback (which the tests allow explicitly: by default loopback is refused), a provider in
Europe/London working 09:00-17:00 on weekdays, and the clock at Monday 12 January 2026 08:00."""

import pytest

from calendars.tests.support import FileServer, RadicaleServer
from providers.tests.factories import ProviderFactory, ServiceFactory

USER, PASSWORD = "anna", "app-pass-Zq81"


@pytest.fixture
def loopback_allowed(settings):
    settings.CALENDAR_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def radicale(tmp_path, loopback_allowed):
    server = RadicaleServer(tmp_path, {USER: PASSWORD, "other": "other-pass"})
    yield server
    server.stop()


@pytest.fixture
def files(loopback_allowed):
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=60)


@pytest.fixture
def cal_provider(db, service):
    return ProviderFactory(services=[service])
