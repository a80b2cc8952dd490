"""Write side of accounts: registration, login, tokens, password reset, profile, staff actions.

Each function is one transaction and validates with the models' own rules before saving.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.emails import account_email_context
from accounts.exceptions import EmailNotVerified, InvalidCredentials, InvalidToken, LoginLockedOut
from accounts.models import APIKey, Profile, Role, User

logger = logging.getLogger(__name__)

USER_EDITABLE_FIELDS = ("first_name", "last_name", "phone", "timezone")
ADMIN_EDITABLE_FIELDS = (*USER_EDITABLE_FIELDS, "role", "is_active")
PROFILE_EDITABLE_FIELDS = (
    "preferred_weekdays",
    "preferred_times_of_day",
    "email_notifications",
    "reminders_enabled",
    "reminder_lead_minutes",
    "max_wait_days",
    "earliest_time",
    "latest_time",
    "avoided_weekdays",
)
# Stated wishes: a change of any of them makes the history before it count for less.
PREFERENCE_FIELDS = (
    "preferred_weekdays",
    "preferred_times_of_day",
    "earliest_time",
    "latest_time",
    "avoided_weekdays",
)
# The uid and Django's token travel as one opaque string: "<uidb64>.<token>". Neither part
# can contain a dot (url-safe base64 and base-36 with a dash).
_RESET_TOKEN_SEPARATOR = "."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _raise_field_error(field: str, message: str) -> None:
    raise ValidationError({field: [message]})


# --- registration and verification -------------------------------------------------------


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User | None:
    """Create a client with a profile and send allauth's verification email on commit.

    The email goes through allauth's EmailAddress, so the link is the web's
    `/accounts/confirm-email/<key>/` and verifying there unlocks the API login too.

    An address that already has an account gets no second one and no error: the caller
    answers as for a new address (so registering does not reveal who has an account), and
    the owner is emailed instead. Returns None then.
    """
    email = _normalise_email(email)
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        make_password(password)  # the same hashing work as a new account: no timing tell
        _registration_attempt_notice(owner=owner)
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=Role.CLIENT,
            )
    except IntegrityError:  # a concurrent registration won the race
        owner = User.objects.filter(email__iexact=email).first()
        if owner is not None:
            _registration_attempt_notice(owner=owner)
        return None
    Profile.objects.create(user=user)
    address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    # robust: a mail server failure is logged, the account stays (the user can ask again).
    transaction.on_commit(lambda: address.send_confirmation(request, signup=True), robust=True)
    return user


def _registration_attempt_notice(*, owner: User) -> None:
    """Tell the owner of an address that someone tried to register with it (on commit)."""
    if not owner.is_active:
        return  # a deactivated or anonymised account has no mailbox to warn
    transaction.on_commit(lambda: registration_attempt_email_send(user=owner), robust=True)


def registration_attempt_email_send(*, user: User) -> None:
    context = {
        "title": "Someone tried to register with your address",
        "recipient_name": user.first_name or user.email,
        "email": user.email,
        "login_url": f"{settings.SITE_URL}{reverse('account_login')}",
        "reset_url": f"{settings.SITE_URL}{reverse('account_reset_password')}",
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{context['title']}",
        body=render_to_string("emails/registration_attempt.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("emails/registration_attempt.html", context), "text/html"
    )
    message.send()


def user_email_is_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


@transaction.atomic
def user_email_mark_verified(*, user: User) -> EmailAddress:
    """For users that staff or the demo create: their address is trusted."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return address


# --- login, tokens, logout -----------------------------------------------------------------


def auth_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Check credentials through Django's authenticate so django-axes sees every attempt.

    `request` may be DRF's request: axes flags it (`axes_locked_out`) when the username + IP
    pair is locked out, which we turn into LoginLockedOut instead of axes' HTML page.
    """
    user = authenticate(request=request, username=_normalise_email(email), password=password)
    if getattr(request, "axes_locked_out", False):
        raise LoginLockedOut()
    if user is None:
        raise InvalidCredentials()
    if not user_email_is_verified(user=user):
        raise EmailNotVerified()
    # Same signal as a web login: updates last_login and lets axes reset the failure count.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


def auth_tokens_issue(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _refresh_token_parse(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError as exc:
        raise InvalidToken(field="refresh") from exc


@transaction.atomic
def auth_tokens_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is blacklisted and a new pair issued.

    Blacklisting is the claim: of two concurrent refreshes with one token only the one that
    creates the blacklist row gets new tokens.
    """
    token = _refresh_token_parse(refresh)
    user = User.objects.filter(pk=token.payload.get("user_id"), is_active=True).first()
    if user is None:
        raise InvalidToken(field="refresh")
    _, created = token.blacklist()
    if not created:
        raise InvalidToken(field="refresh")
    return auth_tokens_issue(user=user)


@transaction.atomic
def auth_logout(*, user: User, refresh: str) -> None:
    token = _refresh_token_parse(refresh)
    if str(token.payload.get("user_id")) != str(user.pk):
        raise InvalidToken("This refresh token belongs to another session.", field="refresh")
    token.blacklist()


def _user_tokens_revoke(*, user: User) -> None:
    """Blacklist every refresh token the user still holds (password reset, deactivation)."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(
        id__in=BlacklistedToken.objects.values("token_id")
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


# --- password reset ------------------------------------------------------------------------


def password_reset_token_make(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}{_RESET_TOKEN_SEPARATOR}{default_token_generator.make_token(user)}"


def password_reset_token_user(*, token: str) -> User:
    """The user a reset token is valid for; InvalidToken if used, expired or forged."""
    uid, _, django_token = token.partition(_RESET_TOKEN_SEPARATOR)
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as exc:
        raise InvalidToken() from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, django_token):
        raise InvalidToken()
    return user


def password_reset_link(*, token: str) -> str:
    return f"{settings.SITE_URL}/password/reset/{token}"


def password_reset_request(*, email: str) -> None:
    """Email a reset link if an active account has this address; silent otherwise.

    The caller answers the same either way, so nobody learns which addresses exist.
    """
    user = User.objects.filter(email__iexact=_normalise_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    try:
        password_reset_email_send(user=user)
    except Exception:
        # An error here would tell the caller that the account exists: log it instead.
        logger.exception("Could not send the password reset email to user %s", user.pk)


def password_reset_email_send(*, user: User) -> None:
    context = {
        **account_email_context(user, user.email),
        "title": "Choose a new password",
        "user": user,
        "reset_url": password_reset_link(token=password_reset_token_make(user=user)),
        "timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_to_string("account/email/api_password_reset_subject.txt", context)
    body = render_to_string("account/email/api_password_reset_message.txt", context)
    html_body = render_to_string("account/email/api_password_reset_message.html", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=body,
        html_message=html_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password. The token dies with it: it is a hash of the old password."""
    user = password_reset_token_user(token=token)
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _user_tokens_revoke(user=user)
    # The link came to this mailbox, which proves the address.
    if not user_email_is_verified(user=user):
        user_email_mark_verified(user=user)
    return user


# --- profile -----------------------------------------------------------------------------


def _apply(obj, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    changed = []
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])
            changed.append(field)
    return changed


def _as_set(value):
    """A list compared as a set (the order of chosen days says nothing)."""
    return frozenset(value) if isinstance(value, list) else value


def profile_ensure(*, user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Update the user's own names, phone, time zone and preferences (only keys given)."""
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    before = {name: getattr(profile, name) for name in PREFERENCE_FIELDS}
    user_fields = _apply(user, data, USER_EDITABLE_FIELDS)
    profile_fields = _apply(profile, data, PROFILE_EDITABLE_FIELDS)
    if any(_as_set(getattr(profile, name)) != _as_set(before[name]) for name in PREFERENCE_FIELDS):
        profile.preferences_changed_at = timezone.now()
        profile_fields.append("preferences_changed_at")
    user.full_clean(exclude=["password"], validate_unique=False)
    profile.full_clean(exclude=["user"], validate_unique=False)
    if user_fields:
        user.save(update_fields=user_fields)
    if profile_fields:
        profile.save(update_fields=profile_fields)
    return user


# --- staff actions -----------------------------------------------------------------------


def _staff_flag_for(*, user: User, role: str) -> bool:
    return role == Role.ADMIN or user.is_superuser


def _refuse_self_lockout(*, user: User, actor: User | None, field: str) -> None:
    if actor is not None and actor.pk == user.pk:
        _raise_field_error(field, "You cannot do this to your own account.")


@transaction.atomic
def user_admin_update(*, user: User, data: dict[str, Any], actor: User | None = None) -> User:
    """Staff change a user's role, active flag, names, phone and time zone.

    An admin cannot deactivate or demote themselves (the last admin would lock everyone out).
    """
    if data.get("is_active") is False:
        _refuse_self_lockout(user=user, actor=actor, field="is_active")
    if "role" in data and data["role"] != Role.ADMIN:
        _refuse_self_lockout(user=user, actor=actor, field="role")
    fields = _apply(user, data, ADMIN_EDITABLE_FIELDS)
    if "role" in data:
        user.is_staff = _staff_flag_for(user=user, role=data["role"])
        fields.append("is_staff")
    user.full_clean(exclude=["password", "email"], validate_unique=False)
    if fields:
        user.save(update_fields=fields)
    if data.get("is_active") is False:
        _user_tokens_revoke(user=user)
    return user


def user_set_active(*, user: User, is_active: bool, actor: User | None = None) -> User:
    return user_admin_update(user=user, data={"is_active": is_active}, actor=actor)


def user_assign_role(*, user: User, role: str, actor: User | None = None) -> User:
    return user_admin_update(user=user, data={"role": role}, actor=actor)


@transaction.atomic
def user_anonymise(*, user: User, actor: User | None = None) -> User:
    """Deactivate and strip personal data, keeping the row so appointments keep their FKs."""
    _refuse_self_lockout(user=user, actor=actor, field="id")
    user.is_active = False
    user.email = f"deleted-{user.pk}@invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.set_unusable_password()
    user.save(update_fields=["is_active", "email", "first_name", "last_name", "phone", "password"])
    EmailAddress.objects.filter(user=user).delete()
    _user_tokens_revoke(user=user)
    return user


# --- creation for staff and demo data ---------------------------------------------------


@transaction.atomic
def user_create_verified(
    *,
    email: str,
    password: str,
    role: str = Role.CLIENT,
    first_name: str = "",
    last_name: str = "",
    timezone: str = "UTC",
) -> User:
    """Create (or bring up to date) a user whose address staff vouch for."""
    email = _normalise_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            timezone=timezone,
        )
    else:
        user.role = role
        user.is_staff = _staff_flag_for(user=user, role=role)
        user.is_active = True
        user.set_password(password)
        user.save()
    Profile.objects.get_or_create(user=user)
    user_email_mark_verified(user=user)
    return user


@dataclass(frozen=True)
class NewAPIKey:
    api_key: APIKey
    key: str  # the full key: shown once, never stored


def api_key_create(
    *,
    name: str,
    scopes: list[str],
    created_by: User,
    expiry_date: datetime | None = None,
) -> NewAPIKey:
    """A new API key made by staff. Only its hash is stored; the full key is returned once."""
    if not created_by.is_staff_member:
        raise ValidationError("Only staff create API keys.")
    api_key = APIKey(
        name=name, scopes=sorted(set(scopes)), expiry_date=expiry_date, created_by=created_by
    )
    with transaction.atomic():
        key = APIKey.objects.assign_key(api_key)
        api_key.full_clean()
        api_key.save()
    return NewAPIKey(api_key=api_key, key=key)


def api_key_revoke(*, api_key: APIKey) -> APIKey:
    """Revoke a key at once (it answers 401 from the next request); it cannot be undone."""
    if not api_key.revoked:
        APIKey.objects.filter(pk=api_key.pk).update(revoked=True)
        api_key.revoked = True
    return api_key
