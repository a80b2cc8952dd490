"""Writes for providers and services. Each function is one transaction and validates the
whole change (`full_clean`) before anything is saved: invalid input writes nothing."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Profile, Role, User
from accounts.services import user_email_mark_verified
from providers import events
from providers.models import (
    BusySource,
    ExternalBusy,
    Provider,
    Service,
    ServiceCategory,
    TimeOff,
    Weekday,
    WorkingHours,
)

NON_FIELD = "non_field_errors"

USER_FIELDS = ("email", "first_name", "last_name", "timezone")
PROVIDER_FIELDS = ("display_name", "bio", "timezone", "country", "subdivision", "daily_cap")
SERVICE_FIELDS = (
    "category",
    "name",
    "description",
    "duration_minutes",
    "price",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "accepted_urgencies",
    "is_active",
)


# --- permissions -------------------------------------------------------------------------


def _ensure_admin(actor: User | None) -> None:
    """`actor=None` is the system itself (seeding, management commands)."""
    if actor is not None and not actor.is_staff_member:
        raise PermissionDenied("Only administrators can do this.")


def _ensure_can_manage(actor: User | None, provider: Provider) -> None:
    if actor is None or actor.is_staff_member or actor.pk == provider.user_id:
        return
    raise PermissionDenied("Only administrators or the provider can change this schedule.")


# --- validation helpers ------------------------------------------------------------------


def _add_errors(
    errors: dict[str, list[str]],
    exc: ValidationError,
    *,
    prefix: str = "",
    only: Iterable[str] | None = None,
) -> None:
    """Merge a model's ValidationError into `errors`, naming fields as the API input does."""
    allowed = set(only) if only is not None else None
    for field, messages in exc.message_dict.items():
        if field == "__all__" or (allowed is not None and field not in allowed):
            name = prefix or NON_FIELD
        else:
            name = f"{prefix}.{field}" if prefix else field
        bucket = errors.setdefault(name, [])
        bucket.extend(message for message in messages if message not in bucket)


def _full_clean(
    errors: dict[str, list[str]],
    instance,
    *,
    exclude: Sequence[str] = (),
    prefix: str = "",
    only: Iterable[str] | None = None,
) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        _add_errors(errors, exc, prefix=prefix, only=only)


def _format_interval(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def find_overlapping_hours(
    intervals: Sequence[tuple[int, time, time]],
) -> dict[int, str]:
    """For (weekday, start, end) intervals, {index: message} for each one that overlaps an
    earlier-starting interval of the same weekday. Touching intervals (12:00-13:00 and
    13:00-17:00) do not overlap: periods are half-open."""
    problems: dict[int, str] = {}
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], intervals[i][1]))
    previous: int | None = None
    for index in order:
        weekday, start, end = intervals[index]
        if previous is not None:
            prev_day, prev_start, prev_end = intervals[previous]
            if prev_day == weekday and start < prev_end:
                problems[index] = (
                    f"{_format_interval(start, end)} overlaps "
                    f"{_format_interval(prev_start, prev_end)} on {Weekday(weekday).label}."
                )
                if end <= prev_end:
                    continue  # keep the longer interval as the one to compare with
        previous = index
    return problems


def _build_working_hours(
    errors: dict[str, list[str]],
    provider: Provider,
    working_hours: Sequence[Mapping[str, Any]],
    *,
    field: str = "working_hours",
) -> list[WorkingHours]:
    if not isinstance(working_hours, list | tuple):
        errors.setdefault(field, []).append("Give a list of intervals.")
        return []
    rows: list[WorkingHours] = []
    valid: list[tuple[int, int, time, time]] = []
    for index, item in enumerate(working_hours):
        prefix = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            errors.setdefault(prefix, []).append(
                "Give an object with weekday, start_time and end_time."
            )
            continue
        row = WorkingHours(
            provider=provider,
            weekday=item.get("weekday"),
            start_time=item.get("start_time"),
            end_time=item.get("end_time"),
        )
        before = len(errors)
        _full_clean(errors, row, exclude=["provider"], prefix=prefix)
        rows.append(row)
        if len(errors) == before:
            valid.append((index, row.weekday, row.start_time, row.end_time))
    overlaps = find_overlapping_hours([(day, start, end) for _, day, start, end in valid])
    for position, message in overlaps.items():
        index = valid[position][0]
        errors.setdefault(f"{field}[{index}].start_time", []).append(message)
    return rows


# --- providers ---------------------------------------------------------------------------


@transaction.atomic
def provider_create(
    *,
    email: str,
    password: str | None = None,
    first_name: str,
    last_name: str,
    display_name: str,
    bio: str = "",
    timezone: str,
    country: str = "",
    subdivision: str = "",
    daily_cap: int | None = None,
    service_ids: Sequence[int],
    working_hours: Sequence[Mapping[str, Any]],
    actor: User | None,
) -> Provider:
    """Create a provider's user (role provider), profile, provider record, services and weekly
    hours together. Every part is validated first; any error raises ValidationError naming the
    input field (`email`, `timezone`, `service_ids`, `working_hours[1].end_time`, ...) and
    nothing is written. Without a password the user gets an unusable one (they reset it)."""
    _ensure_admin(actor)
    errors: dict[str, list[str]] = {}

    user = User(
        email=User.objects.normalize_email(email or "").lower(),
        first_name=first_name,
        last_name=last_name,
        role=Role.PROVIDER,
        timezone=timezone,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        user.set_password(password)
    else:
        user.set_unusable_password()
    _full_clean(errors, user, exclude=["password"], only=USER_FIELDS)

    provider = Provider(
        display_name=display_name,
        bio=bio,
        timezone=timezone,
        country=country or "",
        subdivision=subdivision or "",
        daily_cap=daily_cap,
    )
    _full_clean(errors, provider, exclude=["user"], only=PROVIDER_FIELDS)

    services = _services_for_ids(errors, service_ids)
    hours = _build_working_hours(errors, provider, working_hours)

    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another request took the address between the check above and this insert.
        raise ValidationError(
            {"email": ["A user with this email address already exists."]}
        ) from None
    Profile.objects.create(user=user)
    # Staff vouch for the address they add (as for users staff create elsewhere), so the
    # provider logs in without a verification round trip.
    user_email_mark_verified(user=user)
    provider.user = user
    provider.save()
    provider.services.set(services)
    for row in hours:
        row.provider = provider
    WorkingHours.objects.bulk_create(hours)
    return provider


def _services_for_ids(errors: dict[str, list[str]], service_ids: Sequence[int]) -> list[Service]:
    if not isinstance(service_ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in service_ids
    ):
        errors.setdefault("service_ids", []).append("Give a list of service ids.")
        return []
    wanted = list(dict.fromkeys(service_ids))
    services = list(Service.objects.filter(pk__in=wanted, is_active=True))
    unknown = sorted(set(wanted) - {service.pk for service in services})
    if unknown:
        errors.setdefault("service_ids", []).append(
            f"Unknown or inactive services: {', '.join(map(str, unknown))}."
        )
    return services


@transaction.atomic
def provider_set_working_hours(
    *,
    provider: Provider,
    working_hours: Sequence[Mapping[str, Any]],
    actor: User | None = None,
) -> list[WorkingHours]:
    """Replace the provider's whole week of working hours (an empty list: no hours)."""
    _ensure_can_manage(actor, provider)
    errors: dict[str, list[str]] = {}
    hours = _build_working_hours(errors, provider, working_hours)
    if errors:
        raise ValidationError(errors)
    # Lock the provider so two concurrent edits of one week do not interleave.
    Provider.objects.select_for_update().filter(pk=provider.pk).first()
    WorkingHours.objects.filter(provider=provider).delete()
    rows = WorkingHours.objects.bulk_create(hours)
    events.send_on_commit(events.working_hours_changed, provider_id=provider.pk)
    return rows


@transaction.atomic
def provider_set_services(
    *, provider: Provider, service_ids: Sequence[int], actor: User | None = None
) -> Provider:
    _ensure_admin(actor)
    errors: dict[str, list[str]] = {}
    services = _services_for_ids(errors, service_ids)
    if errors:
        raise ValidationError(errors)
    provider.services.set(services)
    return provider


@transaction.atomic
def provider_add_time_off(
    *,
    provider: Provider,
    start: datetime,
    end: datetime,
    reason: str = "",
    actor: User | None = None,
) -> TimeOff:
    """Record a period off. Times must be aware (an instant, whatever zone it is given in)."""
    _ensure_can_manage(actor, provider)
    errors: dict[str, list[str]] = {}
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, datetime) and value.utcoffset() is None:
            errors[name] = ["Give a time with a time zone offset."]
    if errors:
        raise ValidationError(errors)
    time_off = TimeOff(provider=provider, start=start, end=end, reason=reason)
    _full_clean(errors, time_off, exclude=["provider"])
    if errors:
        raise ValidationError(errors)
    time_off.save()
    events.send_on_commit(
        events.time_off_added,
        provider_id=provider.pk,
        time_off_id=time_off.pk,
        start=time_off.start,
        end=time_off.end,
    )
    return time_off


@transaction.atomic
def provider_remove_time_off(*, time_off: TimeOff, actor: User | None = None) -> None:
    """Take a period off back: its time is the provider's working time again (the waitlist
    is offered it, `time_off_removed` on commit)."""
    _ensure_can_manage(actor, time_off.provider)
    provider_id, start, end = time_off.provider_id, time_off.start, time_off.end
    time_off.delete()
    events.send_on_commit(events.time_off_removed, provider_id=provider_id, start=start, end=end)


@transaction.atomic
def provider_set_active(*, provider: Provider, is_active: bool, actor: User | None) -> Provider:
    """Show or hide a provider. Hidden providers leave the public lists and availability;
    their appointments stay as they are."""
    _ensure_admin(actor)
    provider.is_active = is_active
    provider.save(update_fields=["is_active"])
    return provider


# --- services ----------------------------------------------------------------------------


@transaction.atomic
def service_create(
    *,
    category: ServiceCategory,
    name: str,
    duration_minutes: int,
    description: str = "",
    price: Decimal | int | str = 0,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    accepted_urgencies: list[str] | None = None,
    is_active: bool = True,
    actor: User | None = None,
) -> Service:
    _ensure_admin(actor)
    service = Service(
        category=category,
        name=name,
        description=description,
        duration_minutes=duration_minutes,
        price=price,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        is_active=is_active,
    )
    if accepted_urgencies is not None:
        service.accepted_urgencies = accepted_urgencies
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def service_update(
    *, service: Service, data: Mapping[str, Any], actor: User | None = None
) -> Service:
    """Change the given fields of a service (only those in SERVICE_FIELDS)."""
    _ensure_admin(actor)
    unknown = sorted(set(data) - set(SERVICE_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    for name, value in data.items():
        setattr(service, name, value)
    service.full_clean()
    service.save(update_fields=list(data) or None)
    return service


# --- busy time from elsewhere ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusyPeriod:
    """One busy occurrence to import: [start, end) as aware instants."""

    uid: str
    start: datetime
    end: datetime
    recurrence_id: str = ""
    resource: str = ""


# Deletes name resources in chunks: SQLite's and PostgreSQL's parameter limits stay far off.
_RESOURCE_CHUNK = 500


def busy_source_create(*, provider: Provider, label: str) -> BusySource:
    source = BusySource(provider=provider, label=label[:200])
    source.full_clean()
    source.save()
    return source


def busy_source_delete(*, source: BusySource) -> None:
    """Forget the source and every busy period it brought."""
    source.delete()


def _busy_row(source: BusySource, period: BusyPeriod) -> ExternalBusy:
    for instant in (period.start, period.end):
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("Busy periods are aware instants.")
    if period.end <= period.start:
        raise ValueError("A busy period ends after it starts.")
    return ExternalBusy(
        source=source,
        provider_id=source.provider_id,
        # Text from another server: a NUL cannot be stored (PostgreSQL) and names nothing.
        resource=period.resource.replace("\x00", "")[:500],
        uid=period.uid.replace("\x00", "")[:500],
        recurrence_id=period.recurrence_id.replace("\x00", "")[:64],
        start=period.start,
        end=period.end,
    )


@transaction.atomic
def external_busy_replace(
    *,
    source_id: int,
    periods: Iterable[BusyPeriod],
    synced_at: datetime | None,
    resources: Collection[str] | None = None,
) -> int:
    """Replace what a source holds and record the import as successful at `synced_at`.

    With `resources` None the source's busy time is replaced whole (a feed read again);
    otherwise only the rows of those resources go (the files that changed or vanished on the
    server) and `periods` are their new occurrences. The source row is locked first, so two
    imports of one source run one after the other. `synced_at` None changes what is held
    without counting as an import (a calendar the provider stopped counting as busy).
    Returns how many periods the source holds.
    """
    source = BusySource.objects.select_for_update().get(pk=source_id)
    rows = [_busy_row(source, period) for period in periods]
    stale = ExternalBusy.objects.filter(source=source)
    if resources is None:
        stale.delete()
    else:
        names = sorted(set(resources))
        for first in range(0, len(names), _RESOURCE_CHUNK):
            stale.filter(resource__in=names[first : first + _RESOURCE_CHUNK]).delete()
    ExternalBusy.objects.bulk_create(rows, batch_size=1000)
    if synced_at is not None:
        source.synced_at = synced_at
        source.save(update_fields=["synced_at"])
    return ExternalBusy.objects.filter(source=source).count()
