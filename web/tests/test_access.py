"""The one definition of staff and the one access gate, as the screens use them."""

import pytest
from django.contrib import admin

from accounts.models import Role
from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory
from scheduling.models import Appointment
from scheduling.selectors import appointment_for_user
from scheduling.tests.factories import AppointmentFactory
from web.admin_site import SmartBookAdminSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(client_user):
    return AppointmentFactory(client=client_user, provider=ProviderFactory())


def test_the_appointment_is_found_for_its_client_its_provider_and_staff(appointment, admin_user):
    role_admin = UserFactory(role=Role.ADMIN, is_staff=True)  # not a superuser
    for viewer in (appointment.client, appointment.provider.user, admin_user, role_admin):
        assert appointment_for_user(user=viewer, appointment_id=appointment.pk) == appointment


@pytest.mark.parametrize(
    "make_viewer",
    [
        lambda: UserFactory(role=Role.CLIENT),
        lambda: ProviderFactory().user,
        lambda: UserFactory(role=Role.CLIENT, is_staff=True),  # the admin flag is not staff
        lambda: UserFactory(role=Role.ADMIN, is_staff=True, is_active=False),
    ],
    ids=["other client", "other provider", "client with is_staff", "inactive admin"],
)
def test_anyone_else_gets_does_not_exist_like_an_unknown_id(appointment, make_viewer):
    viewer = make_viewer()
    with pytest.raises(Appointment.DoesNotExist):
        appointment_for_user(user=viewer, appointment_id=appointment.pk)
    with pytest.raises(Appointment.DoesNotExist):
        appointment_for_user(user=appointment.client, appointment_id=appointment.pk + 1000)


def test_pages_and_calendar_download_answer_404_to_a_client_with_is_staff(client, appointment):
    client.force_login(UserFactory(role=Role.CLIENT, is_staff=True))

    assert client.get(f"/appointments/{appointment.pk}").status_code == 404
    assert client.get(f"/appointments/{appointment.pk}/ics").status_code == 404


def test_the_admin_site_is_ours_and_its_gate_is_the_one_definition_of_staff(client):
    assert isinstance(admin.site, SmartBookAdminSite)
    client.force_login(UserFactory(role=Role.CLIENT, is_staff=True))
    assert client.get("/admin/").status_code == 302

    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "analytics_cards" in response.context  # the dashboard is the index


def test_the_nav_offers_the_admin_only_to_staff(client):
    client.force_login(UserFactory(role=Role.CLIENT, is_staff=True))
    assert 'href="/admin/"' not in client.get("/").content.decode()

    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    assert 'href="/admin/"' in client.get("/").content.decode()
