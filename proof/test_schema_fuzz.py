"""Fuzz every operation of the OpenAPI schema, in-process over WSGI, as a client, a provider
and an admin (JWT bearer): no 5xx, and every response conforms to the schema (status code
documented, body valid against the documented schema, content type as documented).

Bounded and repeatable: a fixed number of examples per operation and role, derandomized.
Each example runs inside a savepoint that is rolled back, so every example sees the same
clinic (see conftest.py) whatever the previous one deleted.
"""

import json
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scheduling.tests.support import rolled_back
from smartbook.wsgi import application

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

MAX_EXAMPLES = 12
# Authentication itself (anonymous answers 401, others' objects 404) is the access matrix's
# subject (test_access_matrix.py), with exact statuses.
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)


def _schema_dict() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.from_dict(
    _schema_dict(),
    app=application,
    # NUL bytes and other hostile text are proof/test_hostile_input.py's subject too; keep them.
    generation_config=GenerationConfig(),
)

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def in_process_requests():
    """Requests share the test's database transaction: keep Django from closing it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _object_ids(world, role: str) -> dict[str, int]:
    """Real ids that this role may use, substituted into every other example."""
    own_appointment = {
        "client": world.appt_a.pk,
        "provider": world.past_a.pk,
        "admin": world.appt_b.pk,
    }[role]
    return {
        "appointments": own_appointment,
        "notifications": world.notification_a.pk if role == "client" else world.notification_b.pk,
        "providers": world.p1.pk,
        "services": world.service.pk,
        "users": world.users["client_b"].pk,
        # Client A's waitlist rows (the provider's and admin's answer 404: own only).
        "entries": world.entry_a.pk,
        "offers": world.offer_a.pk,
    }


def _substitute_real_ids(case, world, role: str, n: int) -> None:
    if n % 2:
        return  # odd examples keep the generated values (unknown ids, odd types, ...)
    ids = _object_ids(world, role)
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        for segment, pk in ids.items():
            if f"/{segment}/" in path:
                case.path_parameters[name] = pk
    for name in ("service", "provider"):
        if case.query and name in case.query:
            case.query[name] = world.service.pk if name == "service" else world.p1.pk
    if isinstance(case.body, dict):
        if "token" in case.body:
            case.body["token"] = world.offer_token_a
        for name in ("service", "provider"):
            if name in case.body:
                case.body[name] = world.service.pk if name == "service" else world.p1.pk


def _fingerprint(case) -> int:
    """Stable per generated example, so a failing example replays identically."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())


def _fuzz(case, world, role: str) -> None:
    user = world.users["client_a" if role == "client" else role]
    token = world.api("client_a" if role == "client" else role)._credentials
    _substitute_real_ids(case, world, role, _fingerprint(case))
    with rolled_back():
        response = case.call_wsgi(headers={"Authorization": token["HTTP_AUTHORIZATION"]})
    assert user.pk  # the role's user exists for every example
    case.validate_response(response, checks=CHECKS)


def _make_test(role: str):
    @schema.parametrize()
    @FUZZ_SETTINGS
    def fuzz(case, world, in_process_requests):
        _fuzz(case, world, role)

    fuzz.__name__ = f"test_every_operation_conforms_as_{role}"
    return fuzz


test_every_operation_conforms_as_client = _make_test("client")
test_every_operation_conforms_as_provider = _make_test("provider")
test_every_operation_conforms_as_admin = _make_test("admin")
