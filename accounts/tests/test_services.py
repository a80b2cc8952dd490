"""accounts.services and friends, without HTTP."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from accounts import services
from accounts.axes import axes_username
from accounts.demo import create_demo_users
from accounts.exceptions import InvalidToken
from accounts.models import Profile, Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_register_with_weak_password_writes_nothing():
    with pytest.raises(ValidationError) as caught:
        services.user_register(email="x@example.com", password="x@example.com")

    assert "password" in caught.value.message_dict
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()


def test_refresh_token_can_be_rotated_only_once():
    user = UserFactory()
    pair = services.auth_tokens_issue(user=user)

    services.auth_tokens_refresh(refresh=pair.refresh)

    with pytest.raises(InvalidToken):
        services.auth_tokens_refresh(refresh=pair.refresh)


def test_refresh_refused_for_deactivated_user():
    user = UserFactory()
    pair = services.auth_tokens_issue(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(InvalidToken):
        services.auth_tokens_refresh(refresh=pair.refresh)


def test_reset_token_is_one_opaque_url_safe_string():
    user = UserFactory()

    token = services.password_reset_token_make(user=user)

    assert "/" not in token and " " not in token
    assert services.password_reset_token_user(token=token) == user


def test_profile_update_rejects_model_level_violations_atomically():
    user = UserFactory(first_name="Before")

    with pytest.raises(ValidationError) as caught:
        services.profile_update(
            user=user, data={"first_name": "After", "reminder_lead_minutes": [5, 5]}
        )

    assert "reminder_lead_minutes" in caught.value.message_dict
    user.refresh_from_db()
    assert user.first_name == "Before"
    assert Profile.objects.get(user=user).reminder_lead_minutes == [1440, 60]


def test_role_change_keeps_superusers_staff():
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)

    services.user_assign_role(user=user, role=Role.PROVIDER)

    assert user.is_staff is True


def test_anonymise_frees_the_address_for_a_new_account():
    user = UserFactory(email="leaving@example.com")

    services.user_anonymise(user=user)
    again = services.user_register(email="leaving@example.com", password="plum-orchard-velvet-42")

    assert again.pk != user.pk
    assert User.objects.get(pk=user.pk).email == f"deleted-{user.pk}@invalid"


@pytest.mark.parametrize(
    ("credentials", "post", "expected"),
    [
        ({"login": " Ann@Example.com "}, {}, "ann@example.com"),
        ({"login": None, "email": "ANN@example.com"}, {}, "ann@example.com"),
        ({"login": None, "username": "ann@example.com"}, {}, "ann@example.com"),
        (None, {"login": "Ann@example.com"}, "ann@example.com"),
        (None, {"email": "ann@EXAMPLE.com"}, "ann@example.com"),
        ({}, {}, None),
    ],
)
def test_axes_counts_one_name_whatever_the_form_field(credentials, post, expected):
    request = RequestFactory().post("/", post)

    assert axes_username(request, credentials) == expected


def test_demo_users_are_idempotent_verified_and_have_strong_passwords():
    first = create_demo_users()
    second = create_demo_users()

    assert [u.pk for u, _ in first] == [u.pk for u, _ in second]
    emails = {u.email: u.role for u, _ in second}
    assert emails == {
        "admin@smartbook.test": Role.ADMIN,
        "dr.ncube@smartbook.test": Role.PROVIDER,
        "dr.okafor@smartbook.test": Role.PROVIDER,
        "alice@smartbook.test": Role.CLIENT,
        "bob@smartbook.test": Role.CLIENT,
    }
    for user, password in second:
        validate_password(password, user=user)
        assert user.check_password(password)
        assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
        assert Profile.objects.filter(user=user).exists()
    admin = User.objects.get(email="admin@smartbook.test")
    assert admin.is_staff and admin.is_superuser
    assert User.objects.count() == 5
