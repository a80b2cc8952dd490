"""Who a request authenticated by an API key is: an integration, never a person."""


class APIKeyPrincipal:
    """`request.user` for a key-authenticated request.

    Not a `User`: it has no primary key and answers False to every staff question, so no code
    path can mistake an integration for staff or for a client. What it may do is its key's
    scopes, checked once by `accounts.api.keys.APIKeyAuthentication`.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff_member = False
    is_staff = False
    is_superuser = False
    is_client = False
    is_provider = False
    pk = None
    id = None
    role = "integration"

    def __init__(self, api_key) -> None:
        self.api_key = api_key

    @classmethod
    def of(cls, api_key) -> "APIKeyPrincipal":
        return cls(api_key)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.api_key.scopes or [])

    def __str__(self) -> str:
        return f"API key {self.api_key.name}"

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_module_perms(self, app_label) -> bool:
        return False


def is_api_key(user) -> bool:
    return isinstance(user, APIKeyPrincipal)
