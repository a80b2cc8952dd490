"""How django-axes names the person behind a login attempt.

The web login (allauth) posts `login`, allauth authenticates with `email=`, Django's admin and
our API pass `username=`. Whichever was used, the attempt is counted against the same
lower-cased address, so failures on the web and on the API add up for one person.
"""

from django.http import HttpRequest

_CREDENTIAL_KEYS = ("login", "email", "username")


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    for key in _CREDENTIAL_KEYS:
        value = (credentials or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    data = getattr(request, "data", None)
    if not hasattr(data, "get"):
        data = getattr(request, "POST", {})
    for key in _CREDENTIAL_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def axes_client_ip(request: HttpRequest) -> str:
    """The client address for lockouts, read exactly as the API's throttles read it.

    DRF trusts `X-Forwarded-For` only for `NUM_PROXIES` hops (none by default: REMOTE_ADDR),
    so a client cannot pick a fresh address per attempt by sending the header itself.
    """
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)
