"""API keys at the edge of a request: refuse keys on views that do not authenticate, and
record every write made with a key (`APIKeyWrite`, with the key's name), in one place."""

import logging

from django.db import DatabaseError, transaction
from django.http import JsonResponse
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from accounts.api.keys import KEYWORD, APIKeyAuthentication, key_from_header
from accounts.models import APIKeyWrite
from smartbook.api.fields import MAX_ID

logger = logging.getLogger(__name__)

APPOINTMENTS_PATH = "/api/appointments"


def _sends_key(request) -> bool:
    return key_from_header(get_authorization_header(request)) is not None


def _authenticates_keys(view_func) -> bool:
    view_class = getattr(view_func, "cls", None)  # a DRF view
    classes = getattr(view_class, "authentication_classes", None) or ()
    return any(issubclass(cls, APIKeyAuthentication) for cls in classes)


def _appointment_id(request, response) -> int | None:
    if not request.path.startswith(APPOINTMENTS_PATH):
        return None
    match = request.resolver_match
    pk = match.kwargs.get("pk") if match else None
    if pk is None and isinstance(getattr(response, "data", None), dict):
        pk = response.data.get("id")
    # An id in a URL may be any number; only one a row can have is logged.
    return pk if isinstance(pk, int) and 0 < pk <= MAX_ID else None


class APIKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 401 and _sends_key(request):
            response["WWW-Authenticate"] = KEYWORD  # the scheme it tried, not the JWT's
        api_key = getattr(request, "api_key", None)
        if api_key is not None and request.method not in SAFE_METHODS:
            try:
                # A savepoint: a failed insert must not break a transaction around the request.
                with transaction.atomic():
                    APIKeyWrite.objects.create(
                        key=api_key,
                        key_name=api_key.name,
                        method=request.method,
                        path=request.get_full_path()[:2000],
                        status_code=response.status_code,
                        appointment_id=_appointment_id(request, response),
                    )
            except DatabaseError:  # the answer stands; the database said why in its own log
                logger.exception("API key write not recorded: %s %s", request.method, request.path)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _sends_key(request):
            return None
        if request.path.startswith("/api/") and not _authenticates_keys(view_func):
            return JsonResponse(
                {
                    "detail": "API keys cannot use this endpoint.",
                    "errors": {},
                    "code": "api_key_scope",
                },
                status=403,
            )
        return None
