"""Fuzz every operation of the OpenAPI schema, in-process over WSGI, as a client, a provider,
an admin (JWT bearer) and an integration (an API key with every scope): no 5xx, and every
response conforms to the schema (status code documented, body valid against the documented
schema, content type as documented).

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
        "api_key": world.appt_a.pk,  # a key with appointments:read reaches every appointment
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
        # Client A's series with P1 (client B's role does not fuzz: the admin reaches it).
        "series": world.series_a.pk,
        "sessions": world.session_a.pk,
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
        if "appointment" in case.body and "/series/" in path:
            case.body["appointment"] = world.series_a.occurrences.order_by("start")[0].pk
        for name in ("service", "provider"):
            if name in case.body:
                case.body[name] = world.service.pk if name == "service" else world.p1.pk


def _fingerprint(case) -> int:
    """Stable per generated example, so a failing example replays identically."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())


@pytest.fixture
def api_key_header(world) -> str:
    """An integration's key with every scope, made by the clinic's admin."""
    from accounts.models import APIKeyScope
    from accounts.services import api_key_create

    created = api_key_create(
        name="fuzzer", scopes=list(APIKeyScope.values), created_by=world.users["admin"]
    )
    return f"Api-Key {created.key}"


def _authorization(world, role: str, api_key_header: str) -> str:
    if role == "api_key":
        return api_key_header
    return world.api("client_a" if role == "client" else role)._credentials["HTTP_AUTHORIZATION"]


def _fuzz(case, world, role: str, api_key_header: str) -> None:
    authorization = _authorization(world, role, api_key_header)
    _substitute_real_ids(case, world, role, _fingerprint(case))
    named = role == "api_key" and isinstance(case.body, dict) and "client" in case.body
    if named and not _fingerprint(case) % 2:
        case.body["client"] = world.users["client_a"].pk
    with rolled_back():
        response = case.call_wsgi(headers={"Authorization": authorization})
    case.validate_response(response, checks=CHECKS)


def _make_test(role: str):
    @schema.parametrize()
    @FUZZ_SETTINGS
    def fuzz(case, world, in_process_requests, api_key_header):
        _fuzz(case, world, role, api_key_header)

    fuzz.__name__ = f"test_every_operation_conforms_as_{role}"
    return fuzz


test_every_operation_conforms_as_client = _make_test("client")
test_every_operation_conforms_as_provider = _make_test("provider")
test_every_operation_conforms_as_admin = _make_test("admin")
test_every_operation_conforms_as_api_key = _make_test("api_key")
