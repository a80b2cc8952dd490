"""Demo accounts for `make run` (printed by seed_demo with their passwords)."""

from accounts.models import User


def create_demo_users() -> list[tuple[User, str]]:
    """Create (idempotently) the demo admin, two providers' users and two clients.

    Returns (user, password) pairs for printing.
    """
    raise NotImplementedError
