"""The user admin: search, filters, actions through services, profile inline, access."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import Profile, Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def run_action(staff_client, action: str, users) -> object:
    return staff_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_changelist_searches_and_filters(staff_client):
    UserFactory(email="findme@example.com", last_name="Quartz", role=Role.PROVIDER)
    UserFactory(email="other@example.com", role=Role.CLIENT, is_active=False)

    found = staff_client.get(CHANGELIST, {"q": "quartz"})
    providers = staff_client.get(CHANGELIST, {"role__exact": "provider"})
    inactive = staff_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert found.status_code == 200
    assert [u.email for u in found.context["cl"].result_list] == ["findme@example.com"]
    assert [u.email for u in providers.context["cl"].result_list] == ["findme@example.com"]
    assert [u.email for u in inactive.context["cl"].result_list] == ["other@example.com"]


def test_deactivate_and_activate_actions(staff_client):
    users = [UserFactory(), UserFactory()]

    run_action(staff_client, "deactivate", users)
    assert not User.objects.filter(pk__in=[u.pk for u in users], is_active=True).exists()

    run_action(staff_client, "activate", users)
    assert User.objects.filter(pk__in=[u.pk for u in users], is_active=True).count() == 2


def test_staff_cannot_deactivate_themselves_from_the_admin(staff_client, admin_user):
    response = run_action(staff_client, "deactivate", [admin_user])

    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert "your own account" in response.content.decode()


def test_assign_role_action(staff_client):
    user = UserFactory(role=Role.CLIENT)

    run_action(staff_client, "make_provider", [user])

    user.refresh_from_db()
    assert user.role == Role.PROVIDER and not user.is_staff


def test_send_password_reset_action_emails_a_link(staff_client):
    user = UserFactory(email="forgetful@example.com")

    run_action(staff_client, "send_password_reset", [user])

    assert [m.to for m in mail.outbox] == [["forgetful@example.com"]]
    assert "/password/reset/" in mail.outbox[0].body


def test_change_page_has_the_profile_inline(staff_client, client_user):
    response = staff_client.get(f"{CHANGELIST}{client_user.pk}/change/")

    assert response.status_code == 200
    assert "profile-0-preferred_weekdays" in response.content.decode()


def test_adding_a_user_creates_profile_and_verified_address(staff_client):
    response = staff_client.post(
        f"{CHANGELIST}add/",
        {
            "email": "staffmade@example.com",
            "role": "provider",
            "first_name": "New",
            "last_name": "Provider",
            "timezone": "Europe/Paris",
            "usable_password": "true",
            "password1": "plum-orchard-velvet-42",
            "password2": "plum-orchard-velvet-42",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-preferred_weekdays": "[]",
            "profile-0-preferred_times_of_day": "[]",
            "profile-0-reminder_lead_minutes": "[60]",
            "profile-0-earliest_time": "07:00",
            "profile-0-latest_time": "21:00",
            "profile-0-email_notifications": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="staffmade@example.com")
    assert user.role == Role.PROVIDER
    assert Profile.objects.get(user=user).reminder_lead_minutes == [60]
    assert EmailAddress.objects.get(user=user).verified is True


def test_profile_inline_refuses_invalid_preferences(staff_client, client_user):
    Profile.objects.get(user=client_user)
    url = f"{CHANGELIST}{client_user.pk}/change/"
    form = staff_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    data.update(
        {
            "email": client_user.email,
            "password": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(client_user.profile.pk),
            "profile-0-user": str(client_user.pk),
            "profile-0-preferred_weekdays": "[9]",
            "profile-0-preferred_times_of_day": "[]",
            "profile-0-reminder_lead_minutes": "[60]",
            "profile-0-earliest_time": "07:00",
            "profile-0-latest_time": "21:00",
        }
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    inline_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "preferred_weekdays" in inline_errors[0]
    assert not response.context["adminform"].form.errors
    client_user.profile.refresh_from_db()
    assert client_user.profile.preferred_weekdays == []


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_non_staff_cannot_reach_the_user_admin(client, role):
    client.force_login(UserFactory(role=role))

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def change_form_post(staff_client, user: User, **changes):
    """Submit the user's change page as staff would, with `changes` over its current values."""
    url = f"{CHANGELIST}{user.pk}/change/"
    page = staff_client.get(url).context
    form = page["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    for inline in page["inline_admin_formsets"]:  # e.g. the read-only appointment history
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    data.update(
        {
            "is_active": "on" if user.is_active else "",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(user.profile.pk),
            "profile-0-user": str(user.pk),
            "profile-0-preferred_weekdays": "[]",
            "profile-0-preferred_times_of_day": "[]",
            "profile-0-reminder_lead_minutes": "[60]",
            "profile-0-earliest_time": "07:00",
            "profile-0-latest_time": "21:00",
        }
    )
    data.update(changes)
    return staff_client.post(url, {k: v for k, v in data.items() if v != ""}, follow=True)


def test_change_form_role_decides_the_staff_flag(staff_client):
    user = UserFactory(role=Role.CLIENT)

    change_form_post(staff_client, user, role=Role.ADMIN)
    user.refresh_from_db()
    assert user.role == Role.ADMIN and user.is_staff and user.is_staff_member

    change_form_post(staff_client, user, role=Role.PROVIDER)
    user.refresh_from_db()
    assert user.role == Role.PROVIDER and not user.is_staff and not user.is_staff_member


def test_change_form_cannot_make_staff_without_the_role(staff_client):
    user = UserFactory(role=Role.CLIENT)

    change_form_post(staff_client, user, is_staff="on", is_superuser="on", email="x@example.com")

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.email) == (False, False, user.email)
    assert user.email != "x@example.com"


def test_change_form_deactivation_revokes_the_users_tokens(staff_client):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
    from rest_framework_simplejwt.tokens import RefreshToken

    user = UserFactory(role=Role.CLIENT)
    token = RefreshToken.for_user(user)

    change_form_post(staff_client, user, is_active="")

    user.refresh_from_db()
    assert not user.is_active
    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()


def test_change_form_edits_names_through_the_service(staff_client):
    user = UserFactory(role=Role.CLIENT, first_name="Old")

    change_form_post(staff_client, user, first_name="New", timezone="Asia/Tokyo")

    user.refresh_from_db()
    assert (user.first_name, user.timezone) == ("New", "Asia/Tokyo")


@pytest.mark.parametrize("change", [{"role": Role.CLIENT}, {"is_active": ""}])
def test_staff_cannot_demote_or_deactivate_themselves_in_the_change_form(
    staff_client, admin_user, change
):
    response = change_form_post(staff_client, admin_user, first_name="Changed", **change)

    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_active and admin_user.is_staff
    assert admin_user.first_name != "Changed"  # the whole change was rolled back
    assert "your own account" in response.content.decode()


def test_adding_an_administrator_sets_the_staff_flag(staff_client):
    response = staff_client.post(
        f"{CHANGELIST}add/",
        {
            "email": "newadmin@example.com",
            "role": "admin",
            "timezone": "UTC",
            "usable_password": "false",
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="newadmin@example.com")
    assert user.is_staff and user.is_staff_member


def test_the_profile_inline_changes_go_through_the_profile_service(
    staff_client, client_user, time_machine
):
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    response = change_form_post(
        staff_client,
        client_user,
        **{
            "profile-0-preferred_weekdays": "[1]",
            "profile-0-avoided_weekdays": "[0]",
            "profile-0-earliest_time": "08:00",
            "profile-0-latest_time": "18:00",
        },
    )
    assert response.status_code == 200
    profile = Profile.objects.get(user=client_user)
    assert (profile.avoided_weekdays, f"{profile.latest_time:%H:%M}") == ([0], "18:00")
    assert profile.preferences_changed_at.isoformat() == "2026-03-02T09:00:00+00:00"
