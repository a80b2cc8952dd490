"""A small clinic whose dashboard numbers are worked out by hand in the tests.

Two providers in Europe/London (UTC in winter), two services, a week of appointments
(Monday 2 March to Sunday 8 March 2026) and the week before. "Today" is Monday 16 March.
"""

from datetime import time

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from analytics.tests.support import TODAY, at
from providers.models import TimeOff
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.tests.factories import AppointmentFactory


@pytest.fixture
def frozen_instant():
    return TODAY


@pytest.fixture
def clinic(db, frozen_now):
    """Provider A works Mon-Fri 09-17 (8 h), B Mon-Fri 09-13 (4 h); A is off Wed 4 March
    09-13. Working minutes, week of 2 March: A 2400 - 240 = 2160, B 1200, total 3360;
    week of 23 February: 2400 + 1200 = 3600."""
    short = ServiceFactory(name="Check-up", duration_minutes=30)
    long = ServiceFactory(name="Treatment", duration_minutes=60, buffer_after_minutes=10)
    a = ProviderFactory(display_name="A Adams", services=[short, long])
    b = ProviderFactory(display_name="B Brown", hours=[(time(9), time(13))], services=[short, long])
    TimeOff.objects.create(provider=a, start=at(4, 9), end=at(4, 13), reason="training")
    ann, bob = UserFactory(role=Role.CLIENT), UserFactory(role=Role.CLIENT)

    current = [
        # Mon 2 March
        AppointmentFactory(
            client=ann,
            provider=a,
            service=short,
            start=at(2, 10),
            status="completed",
            source="recommendation",
        ),
        AppointmentFactory(
            client=bob, provider=a, service=short, start=at(2, 11), status="cancelled"
        ),
        # Tue 3 March
        AppointmentFactory(client=ann, provider=a, service=long, start=at(3, 14), status="no_show"),
        AppointmentFactory(
            client=bob,
            provider=b,
            service=short,
            start=at(3, 9),
            status="completed",
            source="recommendation",
        ),
        # Thu 5 March
        AppointmentFactory(
            client=ann,
            provider=b,
            service=long,
            start=at(5, 10),
            status="cancelled",
            source="staff",
        ),
        # Fri 6 March
        AppointmentFactory(
            client=bob, provider=b, service=short, start=at(6, 12), status="confirmed"
        ),
    ]
    previous = [
        AppointmentFactory(
            client=ann, provider=a, service=short, start=at(23, 10, month=2), status="completed"
        ),
        AppointmentFactory(
            client=bob, provider=b, service=short, start=at(25, 9, month=2), status="cancelled"
        ),
    ]
    # New clients: two joined in the week of 2 March, one the week before; a provider who
    # joined that week is not a client. (The fixture's own users joined "today".)
    UserFactory(role=Role.CLIENT, date_joined=at(2, 8))
    UserFactory(role=Role.CLIENT, date_joined=at(8, 23, 30))
    UserFactory(role=Role.CLIENT, date_joined=at(27, 12, month=2))
    UserFactory(role=Role.PROVIDER, date_joined=at(4, 12))
    return {
        "a": a,
        "b": b,
        "short": short,
        "long": long,
        "ann": ann,
        "bob": bob,
        "current": current,
        "previous": previous,
    }
