"""Query parameters of the pages, read once."""


def id_or_none(value: str) -> int | None:
    """A parameter naming a row by id: its number, or None when it is not a plain id (missing,
    signed, non-ASCII digits, or too long to be one)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
