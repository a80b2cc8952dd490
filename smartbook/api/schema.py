"""Keep the OpenAPI schema honest about errors.

drf-spectacular documents only the success responses a view declares. Every API view can
also answer with the shared error envelope (smartbook/api/errors.py): 400 for bad input,
401/403 for authentication and permissions, 404 for unknown objects or pages, 409 for
conflicting writes, 429 for throttled or locked-out authentication, 503 while the database
is unreachable. This hook adds those responses where a view has not declared them itself,
so clients (and the schema fuzzer) can rely on the documented statuses.
"""

from typing import Any

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The error envelope of every API error response.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "code": {"type": "string"},
    },
    "required": ["detail"],
}

_DESCRIPTIONS = {
    "400": "Invalid input; `errors` names each field.",
    "401": "Not authenticated.",
    "403": "Not allowed for this user.",
    "404": "Not found (or not yours).",
    "409": "Conflicts with the current state (for example the slot was just taken).",
    "429": "Too many attempts; try again later.",
    "503": "The database is briefly unavailable; retry.",
}

_UNSAFE = {"post", "put", "patch", "delete"}


def _error_statuses(path: str, method: str) -> list[str]:
    statuses = ["400", "401", "403", "404"]
    if method in _UNSAFE:
        statuses.append("409")
    if path.startswith("/api/auth/"):
        statuses.append("429")
    statuses.append("503")
    return statuses


def document_error_responses(result: dict, generator: Any, **kwargs: Any) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, method):
                responses.setdefault(
                    status,
                    {
                        "description": _DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result
