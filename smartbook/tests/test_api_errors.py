"""The API's one exception handler: domain errors and database lock timeouts."""

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from psycopg import errors as pg_errors

from accounts.exceptions import EmailNotVerified, InvalidCredentials, InvalidToken, LoginLockedOut
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from smartbook.api.errors import exception_handler


def handled(exc: Exception):
    response = exception_handler(exc, {})
    assert response is not None, f"{type(exc).__name__} was not handled"
    return response


def test_a_taken_slot_is_409_naming_start():
    response = handled(SlotUnavailable("That time was just taken."))

    assert response.status_code == 409
    assert response.data == {
        "detail": "That time was just taken.",
        "errors": {"start": ["That time was just taken."]},
        "code": "conflict",
    }


def test_an_invalid_transition_is_409_naming_status():
    response = handled(InvalidTransition("A cancelled appointment cannot be completed."))

    assert response.status_code == 409
    assert response.data["errors"] == {"status": ["A cancelled appointment cannot be completed."]}
    assert response.data["code"] == "conflict"


def test_a_booking_rule_is_400_naming_its_field_like_any_invalid_input():
    response = handled(BookingRuleViolation("start", "Book at least 2 hours ahead."))

    assert response.status_code == 400
    assert response.data == {
        "detail": "Invalid input: start.",
        "errors": {"start": ["Book at least 2 hours ahead."]},
    }


@pytest.mark.parametrize(
    ("error", "status_code", "code"),
    [
        (InvalidCredentials(), 401, "invalid_credentials"),
        (LoginLockedOut(), 429, "locked_out"),
        (EmailNotVerified(), 403, "email_unverified"),
    ],
)
def test_login_errors_carry_their_status_and_code(error, status_code, code):
    response = handled(error)

    assert response.status_code == status_code
    assert response.data == {"detail": error.message, "errors": {}, "code": code}


def test_an_invalid_refresh_token_names_the_field():
    response = handled(InvalidToken(field="refresh"))

    assert response.status_code == 401
    assert response.data["errors"] == {"refresh": [InvalidToken.message]}
    assert response.data["code"] == "token_not_valid"


def test_an_unrelated_exception_is_left_to_the_500_page():
    assert exception_handler(ValueError("bug"), {}) is None


def lock_not_available() -> OperationalError:
    """What Django raises when psycopg reports SQLSTATE 55P03."""
    try:
        try:
            raise pg_errors.LockNotAvailable("canceling statement due to lock timeout")
        except pg_errors.LockNotAvailable as cause:
            raise OperationalError(*cause.args) from cause
    except OperationalError as exc:
        return exc


def test_a_lock_timeout_is_503_with_retry_after():
    response = handled(lock_not_available())

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data["code"] == "busy"
    assert "retry" in response.data["detail"]


def test_another_operational_error_with_a_server_sqlstate_is_not_a_lock_timeout():
    try:
        try:
            raise pg_errors.DeadlockDetected("deadlock detected")
        except pg_errors.DeadlockDetected as cause:
            raise OperationalError(*cause.args) from cause
    except OperationalError as exc:
        response = exception_handler(exc, {})

    assert response is None or response.data.get("code") != "busy"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_a_real_lock_timeout_on_postgresql_is_503():
    from accounts.models import User
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    params = connection.get_connection_params()
    with psycopg.connect(**params) as holder:
        holder.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [user.pk])
        with pytest.raises(OperationalError) as raised, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '50ms'")
            User.objects.select_for_update().get(pk=user.pk)
        holder.rollback()

    response = handled(raised.value)

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data["code"] == "busy"
