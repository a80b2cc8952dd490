"""Demo accounts for `make run` (printed by seed_demo with their passwords)."""

from accounts.models import Role, User
from accounts.services import user_create_verified

# (email, password, role, first name, last name, time zone). The passwords pass every
# password validator and are printed by seed_demo; they are for local demos only.
DEMO_USERS: list[tuple[str, str, str, str, str, str]] = [
    ("admin@smartbook.test", "demo-admin-2026", Role.ADMIN, "Ada", "Admin", "Europe/London"),
    (
        "dr.ncube@smartbook.test",
        "demo-ncube-2026",
        Role.PROVIDER,
        "Thandiwe",
        "Ncube",
        "Europe/London",
    ),
    (
        "dr.okafor@smartbook.test",
        "demo-okafor-2026",
        Role.PROVIDER,
        "Chinedu",
        "Okafor",
        "Europe/London",
    ),
    ("alice@smartbook.test", "demo-alice-2026", Role.CLIENT, "Alice", "Martin", "Europe/London"),
    ("bob@smartbook.test", "demo-bob-2026", Role.CLIENT, "Bob", "Lee", "America/New_York"),
]


def create_demo_users() -> list[tuple[User, str]]:
    """Create (idempotently) the demo admin, two providers' users and two clients.

    Each has a verified email address and a profile; running it again resets their
    passwords to the printed ones. Returns (user, password) pairs for printing.
    """
    pairs = []
    for email, password, role, first_name, last_name, timezone in DEMO_USERS:
        user = user_create_verified(
            email=email,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            timezone=timezone,
        )
        if role == Role.ADMIN and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        pairs.append((user, password))
    return pairs
