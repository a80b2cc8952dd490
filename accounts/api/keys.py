"""API keys for server-to-server integrations: `Authorization: Api-Key <key>`.

One rule, enforced here for every view that authenticates (it runs before any permission
class, so a view's own `permission_classes` cannot lift it): a key reaches a view only for
the methods the view declares a scope for, e.g. `api_key_scopes = {"GET": "services:read"}`,
and only if the key holds that scope. A view declaring nothing refuses every key (403). A
view that does not authenticate at all (`authentication_classes = []`) refuses keys in
`accounts.middleware.APIKeyMiddleware`. A revoked, expired or unknown key answers 401.
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import APIKey
from accounts.principals import APIKeyPrincipal

KEYWORD = "Api-Key"
# `last_used_at` is written at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class APIKeyScopeMissing(exceptions.PermissionDenied):
    default_code = "api_key_scope"


def key_from_header(header: bytes) -> str | None:
    """The key of an `Api-Key <key>` header, "" for a malformed one, None for other schemes."""
    parts = header.split()
    if not parts or parts[0].decode("latin-1").lower() != KEYWORD.lower():
        return None
    if len(parts) != 2:
        return ""
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        return ""


def scope_needed(view, method: str) -> str | None:
    declared = getattr(view, "api_key_scopes", None) or {}
    if method == "HEAD":
        method = "GET"
    return declared.get(method)


def _touch(api_key: APIKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        APIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_get(raw: str) -> APIKey:
    """The key for `raw`, or AuthenticationFailed (401) for an unknown, revoked or expired
    one. Only the hash is compared; the prefix finds the row."""
    prefix, dot, _ = raw.partition(".")
    api_key = APIKey.objects.filter(prefix=prefix).first() if dot and prefix else None
    if api_key is None or not api_key.is_valid(raw):
        raise exceptions.AuthenticationFailed("Unknown API key.", code="api_key_invalid")
    if api_key.revoked:
        raise exceptions.AuthenticationFailed("This API key was revoked.", code="api_key_revoked")
    if api_key.has_expired:
        raise exceptions.AuthenticationFailed("This API key has expired.", code="api_key_expired")
    return api_key


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = key_from_header(get_authorization_header(request))
        if raw is None:
            return None
        api_key = api_key_get(raw)
        _touch(api_key)
        # Marks the request for the write log (accounts.middleware.APIKeyMiddleware).
        request._request.api_key = api_key
        principal = APIKeyPrincipal.of(api_key)
        view = (request.parser_context or {}).get("view")
        needed = scope_needed(view, request.method)
        if needed is None:
            raise APIKeyScopeMissing("API keys cannot use this endpoint.")
        if not principal.has_scope(needed):
            raise APIKeyScopeMissing(f"This API key lacks the scope {needed}.")
        return principal, api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.keys.APIKeyAuthentication"
    name = "apiKey"

    def get_security_requirement(self, auto_schema):
        """Listed only on the operations a key may call (each view's `api_key_scopes`)."""
        needed = scope_needed(auto_schema.view, auto_schema.method)
        return None if needed is None else {self.name: []}

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Api-Key <key>: a key created by staff in the admin. Scopes: "
            "services:read (services, providers, availability), appointments:read (every "
            "appointment), appointments:write (book, reschedule, cancel on behalf of a "
            "client), analytics:read. Only the operations listing this scheme accept a key.",
        }
