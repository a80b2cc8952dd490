from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_the_clinic_once_and_prints_working_logins(rf):
    from providers.models import Provider
    from scheduling.models import Appointment

    first_output = _seed()
    counts = (Provider.objects.count(), Appointment.objects.count())
    second_output = _seed()

    assert counts[0] == 10
    assert counts[1] > 100  # months of history for the dashboard and the recommender
    assert (Provider.objects.count(), Appointment.objects.count()) == counts
    assert first_output == second_output
    for role, email, password in (
        line.split() for line in first_output.splitlines()[1:] if line.strip()
    ):
        user = authenticate(rf.post("/accounts/login/"), email=email, password=password)
        assert user is not None, email
        assert user.role == role
