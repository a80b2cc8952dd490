"""One error shape for the whole API: {"detail": ..., "errors": {field: [messages]}, "code"}.

This module is the one place that decides which HTTP status an error gets. Domain errors
(`scheduling.errors`, `accounts.exceptions`) carry their own `status_code`, `code`,
`message` and `field`; views let them propagate and never map them themselves.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is briefly unavailable; please retry."
    default_code = "service_unavailable"


class LockTimeout(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "This calendar is busy with another change right now; please retry in a moment."
    )
    default_code = "busy"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for another request; use a new key for a "
        "new request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyKeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still running; retry in a moment."
    default_code = "idempotency_key_in_use"


class DomainError(exceptions.APIException):
    """A domain error as DRF sees it: the status, code, field and message it carries."""

    def __init__(self, error: Exception) -> None:
        self.status_code = error.status_code
        self.field = getattr(error, "field", None)
        super().__init__(detail=error.message, code=error.code)


# Seconds a client should wait before retrying a 503 (lock timeout, database briefly gone).
RETRY_AFTER_SECONDS = 1

# SQLSTATE 55P03 lock_not_available: `lock_timeout` (or NOWAIT) gave up waiting for a row lock.
LOCK_NOT_AVAILABLE = "55P03"


def _as_list(value) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_as_list(item))
        return out
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _as_list(v)]
    return [str(value)]


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into {"field" or "parent.child": [messages]}."""
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(_flatten(value, name))
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    out.update(_flatten(item, f"{name}[{index}]"))
            else:
                out[name] = _as_list(value)
        return out
    return {prefix or "non_field_errors": _as_list(data)}


def django_validation_error_as_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): list(messages)
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def _is_domain_error(exc: Exception) -> bool:
    """Domain errors are plain Python (the pure cores may import them), so they are known by
    the status they carry rather than by a base class shared with this layer."""
    return (
        not isinstance(exc, exceptions.APIException)
        and isinstance(getattr(exc, "status_code", None), int)
        and isinstance(getattr(exc, "message", None), str)
        and isinstance(getattr(exc, "code", None), str)
    )


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(django_validation_error_as_dict(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if _is_domain_error(exc):
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            # A refused input answers exactly like any other invalid input.
            return exceptions.ValidationError(
                {getattr(exc, "field", None) or "non_field_errors": [exc.message]}
            )
        return DomainError(exc)
    if isinstance(exc, OperationalError) and _is_lock_timeout(exc):
        return LockTimeout()
    if isinstance(exc, OperationalError | InterfaceError) and _is_connection_lost(exc):
        # The database went away mid-request (restart, failover, killed backend): the
        # transaction was rolled back, so say so cleanly instead of an HTML 500.
        return ServiceUnavailable()
    return exc


def exception_handler(exc, context):
    exc = _as_api_exception(exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if list(errors) == ["non_field_errors"]:
            detail = errors["non_field_errors"][0]
        else:
            detail = "Invalid input: " + ", ".join(sorted(errors)) + "."
        response.data = {"detail": detail, "errors": errors}
    else:
        data = response.data if isinstance(response.data, dict) else {"detail": response.data}
        detail = data.get("detail", "Error.")
        errors = data.get("errors", {})
        field = getattr(exc, "field", None)
        if isinstance(exc, DomainError) and field:
            errors = {field: [str(detail)]}
        response.data = {"detail": str(detail), "errors": errors}
        code = getattr(detail, "code", None) or getattr(exc, "default_code", None)
        if code:
            response.data["code"] = str(code)
    if isinstance(exc, ServiceUnavailable | LockTimeout | IdempotencyKeyInUse):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _is_lock_timeout(exc: OperationalError) -> bool:
    """True when PostgreSQL gave up waiting for a lock (`SET LOCAL lock_timeout`).

    The statement failed, so the transaction is aborted; the atomic block around the
    service rolls it back as the error propagates. Nothing was written.
    """
    return getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _is_connection_lost(exc: DatabaseError) -> bool:
    """True for transient database unavailability, not for errors in our own queries."""
    from django.db import connections

    if isinstance(exc, InterfaceError):
        return True
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or ""
    # 08: connection exception; 57P: admin shutdown, crash shutdown, cannot connect now.
    if sqlstate.startswith(("08", "57P")) or "database is locked" in str(exc):
        return True
    if type(cause).__module__.startswith("psycopg") and not sqlstate:
        # Raised by the driver itself, not the server: the connection is closed or broken
        # (Django may already have reconnected by the time this runs).
        return True
    lost = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or not connection.is_usable():
            if connection.in_atomic_block:
                transaction.set_rollback(True, using=connection.alias)
            lost = True
    return lost


def page_not_found(request, exception=None):
    """404 for URLs no view matched: the API's JSON envelope under /api/, HTML elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found as html_page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "errors": {}, "code": "not_found"}, status=404)
    return html_page_not_found(request, exception)


def server_error(request):
    """500 for unhandled errors: JSON under /api/ (the client gets no HTML page), HTML elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as html_server_error

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Server error.", "errors": {}, "code": "server_error"}, status=500
        )
    return html_server_error(request)
