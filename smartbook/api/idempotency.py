"""Idempotent writes: a retried request with the same `Idempotency-Key` writes nothing more.

A client that lost the reply to `POST /api/appointments` (or to a reschedule or a cancel) sends
the same request again with the same key and gets the first result back, marked with
`Idempotent-Replayed: true`. The rules, in the order they are applied:

- The key belongs to whoever sent it (the user, or the API key when one authenticated the
  request): two clients can never see each other's results, whatever keys they pick.
- The first request with a key claims it (a row, unique per owner and key, inserted before the
  view runs); its response is stored when the view answers. A response of 5xx (or a 503 busy
  calendar, or a 429) is not stored: nothing was written, and the key may be used again.
- The same key with another method, path or body is a 422: a key names one request.
- The same key while the first request is still running is a 409 with `Retry-After`: the
  second request waits for the first result rather than running beside it. So concurrent
  retries give one booking, and so does a process that dies between its commit and storing
  the reply (its retries get 409 until the key expires, never a second booking).
- Keys expire after `IDEMPOTENCY_KEY_TTL` (a day): then the key is free again.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from smartbook.api.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from smartbook.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes a retry safe: a request sent again with the same key (and the same body) "
        "returns the first result, with `Idempotent-Replayed: true`, and writes nothing more. "
        "Up to 255 printable characters, e.g. a UUID; kept for a day. The same key with "
        "another body answers 422; while the first request with it is still running, 409."
    ),
)
RESPONSES = {
    409: OpenApiResponse(
        description="The time is taken, the status forbids the change, or a request with "
        "this Idempotency-Key is still running (retry after `Retry-After`)."
    ),
    422: OpenApiResponse(description="This Idempotency-Key was used for another request."),
}

# Responses that wrote nothing and may succeed when retried: the key is released for them.
_RETRYABLE = frozenset({status.HTTP_429_TOO_MANY_REQUESTS})


def _invalid_key(message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({HEADER: [message]})


def _checked_key(value: str) -> str:
    if not value:
        raise _invalid_key("The key is empty: send up to 255 printable characters.")
    if len(value) > MAX_KEY_LENGTH:
        raise _invalid_key(f"The key is longer than {MAX_KEY_LENGTH} characters.")
    if not all(" " <= character <= "~" for character in value):
        raise _invalid_key("The key may contain printable ASCII characters only.")
    return value


def owner_of(request) -> str:
    """Whose key it is: the authenticating row when it is a model (an API key), else the
    user."""
    if isinstance(request.auth, models.Model):
        return f"{request.auth._meta.label_lower}:{request.auth.pk}"
    return f"user:{request.user.pk}"


def fingerprint_of(request) -> str:
    """One request's identity: method, path with query and body (keys in a fixed order)."""
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except TypeError:  # a body that is not JSON-like (a file upload): its bytes decide
        body = repr(request.data)
    text = "\n".join((request.method, request.get_full_path(), body))
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(*, owner: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Claim the key for this request (None), or return the record of the request that holds
    it. Runs in its own committed statements, before the view's transaction."""
    now = timezone.now()
    ttl = timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    # Expired keys are free again; the sweep is one indexed statement per keyed write.
    IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                owner=owner, key=key, fingerprint=fingerprint, expires_at=now + ttl
            )
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if record is None:  # released between our insert and this read: claim again
            return _claim(owner=owner, key=key, fingerprint=fingerprint)
        return record
    return None


def _stored_body(response: Response):
    return json.loads(JSONRenderer().render(response.data) or b"null")


def idempotent(view_method):
    """Decorate a DRF view's write method: with an `Idempotency-Key` header the request runs
    at most once per key (see the module's rules); without one it runs as before."""

    @wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return view_method(view, request, *args, **kwargs)
        key = _checked_key(raw)
        owner, fingerprint = owner_of(request), fingerprint_of(request)
        held = _claim(owner=owner, key=key, fingerprint=fingerprint)
        if held is not None:
            if held.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if held.status_code is None:
                raise IdempotencyKeyInUse()
            return Response(
                held.response_body, status=held.status_code, headers={REPLAYED_HEADER: "true"}
            )
        try:
            try:
                response = view_method(view, request, *args, **kwargs)
            except Exception as exc:
                # The API's one exception handler gives the answer the client will get; it
                # re-raises what it does not handle (a 500).
                response = view.handle_exception(exc)
        except BaseException:
            IdempotencyRecord.objects.filter(owner=owner, key=key).delete()
            raise
        if response.status_code >= 500 or response.status_code in _RETRYABLE:
            IdempotencyRecord.objects.filter(owner=owner, key=key).delete()
        else:
            IdempotencyRecord.objects.filter(owner=owner, key=key).update(
                status_code=response.status_code, response_body=_stored_body(response)
            )
        return response

    return wrapper
