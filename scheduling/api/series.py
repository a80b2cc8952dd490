"""The recurring series API: check a series (each occurrence available or not, with
alternatives), book it, read it, and move or cancel one occurrence, this and the following
ones, or all. Thin views over `scheduling.series`; domain errors carry their status."""

from zoneinfo import ZoneInfo

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.principals import is_api_key
from providers.models import Provider, Service, Urgency
from scheduling import series as series_services
from scheduling.api.serializers import (
    AppointmentChangeSerializer,
    SlotSerializer,
    StrictPrimaryKeyRelatedField,
    slot_data,
)
from scheduling.models import Appointment, AppointmentSeries
from scheduling.recurrence import Frequency, Recurrence
from scheduling.selectors import appointments_visible_to
from smartbook.api import idempotency
from smartbook.api.fields import (
    MAX_ID,
    AwareDateTimeField,
    StrictBooleanField,
    StrictCharField,
    utc_iso,
)
from smartbook.api.serializers import InputSerializer

# The most occurrences the API accepts at all (the policy's own limit is at most this).
MAX_OCCURRENCES = 104

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names the field."),
    404: OpenApiResponse(description="No such series or appointment visible to you."),
    409: OpenApiResponse(
        description="An occurrence is taken (all or nothing: nothing was written), or the "
        "status forbids the change."
    ),
}


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number: "5", 5.0 or true are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)


class ReplacementSerializer(InputSerializer):
    original_start = AwareDateTimeField(help_text="A start the series' rule gives.")
    start = AwareDateTimeField(help_text="The start to book instead (e.g. an alternative).")


class SeriesRequestSerializer(InputSerializer):
    """A series: a service with a provider, a first start and a rule."""

    refused_fields = ("status", "source", "sequence", "end")
    refused_message = "This is set by the booking service, not by the client."

    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.all(),
        error_messages={"does_not_exist": "No provider with id {pk_value}."},
    )
    service = StrictPrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        error_messages={"does_not_exist": "No service with id {pk_value}."},
    )
    start = AwareDateTimeField(help_text="The first occurrence's start.")
    frequency = serializers.ChoiceField(
        choices=[(f.value, f.value) for f in Frequency],
        help_text="weekly, biweekly (every two weeks) or monthly (the same weekday of the "
        "month, e.g. the 2nd Tuesday; a 5th weekday means the last).",
    )
    count = StrictIntegerField(
        required=False,
        min_value=2,
        max_value=MAX_OCCURRENCES,
        help_text="How many appointments (give this or `until`).",
    )
    until = StrictDateField(
        required=False, help_text="The last date, in the provider's zone (or give `count`)."
    )
    replacements = ReplacementSerializer(
        many=True,
        required=False,
        max_length=MAX_OCCURRENCES,
        help_text="Occurrences to book at another start (an alternative offered for them).",
    )
    client = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CLIENT),
        required=False,
        help_text="Staff or an API key (appointments:write): the client booked for. Refused "
        "for anyone else: people book for themselves.",
        error_messages={"does_not_exist": "No client with id {pk_value}."},
    )
    override_policy = StrictBooleanField(
        required=False,
        default=False,
        help_text="Staff only: lift notice, horizon and per-day limits (never an overlap).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("count" in attrs) == ("until" in attrs):
            raise serializers.ValidationError(
                {"count": ["Give either how many appointments (count) or the last date (until)."]}
            )
        originals = [item["original_start"] for item in attrs.get("replacements", [])]
        if len(set(originals)) != len(originals):
            raise serializers.ValidationError(
                {"replacements": ["Give each occurrence at most one replacement."]}
            )
        user = self.context["request"].user
        staff = getattr(user, "is_staff_member", False)
        if "client" in attrs and not (staff or is_api_key(user)):
            raise serializers.ValidationError({"client": ["You book for yourself."]})
        if is_api_key(user) and "client" not in attrs:
            raise serializers.ValidationError(
                {"client": ["Name the client booked for (their user id)."]}
            )
        if attrs["override_policy"] and not staff:
            raise serializers.ValidationError(
                {"override_policy": ["Only staff can override the policy."]}
            )
        return attrs


class SeriesBookSerializer(SeriesRequestSerializer):
    mode = serializers.ChoiceField(
        choices=[("all", "all"), ("available", "available")],
        default="all",
        help_text="all: book nothing unless every occurrence can be booked; available: book "
        "every occurrence that can be, skip the others.",
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    client_notes = StrictCharField(max_length=2000, allow_blank=True, required=False, default="")


class RefusalSerializer(serializers.Serializer):
    rule = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()
    kind = serializers.CharField(help_text="rule (a booking rule), taken or not_found.")


class OccurrenceCheckSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    original_start = serializers.CharField(help_text="UTC: the start the rule gives.")
    start = serializers.CharField(help_text="UTC: the start asked for.")
    local_start = serializers.CharField(help_text="Provider-local, ISO 8601 with offset.")
    available = serializers.BooleanField()
    refusal = RefusalSerializer(allow_null=True)
    alternatives = SlotSerializer(many=True)


class SeriesCheckSerializer(serializers.Serializer):
    provider = serializers.IntegerField()
    service = serializers.IntegerField()
    timezone = serializers.CharField()
    count = serializers.IntegerField()
    available_count = serializers.IntegerField()
    occurrences = OccurrenceCheckSerializer(many=True)


class OccurrenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    original_start = serializers.CharField(help_text="UTC: the start the rule gave it.")
    start = serializers.CharField()
    end = serializers.CharField()
    local_start = serializers.CharField()
    moved = serializers.BooleanField()
    cancellation_reason = serializers.CharField()
    changes = AppointmentChangeSerializer(many=True)


class AppointmentSeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.UUIDField()
    client = serializers.IntegerField()
    provider = serializers.IntegerField()
    provider_name = serializers.CharField()
    service = serializers.IntegerField()
    service_name = serializers.CharField()
    frequency = serializers.CharField()
    count = serializers.IntegerField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    timezone = serializers.CharField()
    first_start = serializers.CharField()
    sequence = serializers.IntegerField()
    occurrences = OccurrenceSerializer(many=True)


class SeriesChangeSerializer(InputSerializer):
    appointment = StrictIntegerField(
        min_value=1, max_value=MAX_ID, help_text="The occurrence (appointment id) changed."
    )
    scope = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in series_services.Scope],
        help_text="this: the occurrence alone; following: it and the later ones; all: every "
        "occurrence still to come.",
    )
    reason = StrictCharField(max_length=500, allow_blank=True, required=False, default="")


class SeriesMoveSerializer(SeriesChangeSerializer):
    start = AwareDateTimeField(
        help_text="The occurrence's new start; the others (following, all) move by the same "
        "number of days to the same local time."
    )


# --- payloads ------------------------------------------------------------------------------


def _rule(data) -> Recurrence:
    return Recurrence(
        Frequency(data["frequency"]), count=data.get("count"), until=data.get("until")
    )


def _replacements(data) -> dict:
    return {item["original_start"]: item["start"] for item in data.get("replacements", [])}


def _check_payload(plan: series_services.SeriesPlan) -> dict:
    zone = ZoneInfo(plan.provider.timezone)
    name = plan.provider.display_name
    snapshot = plan.snapshot
    return {
        "provider": plan.provider.pk,
        "service": plan.service.pk,
        "timezone": plan.provider.timezone,
        "count": len(plan.checks),
        "available_count": len(plan.available),
        "occurrences": [
            {
                "index": check.index,
                "original_start": utc_iso(check.original_start),
                "start": utc_iso(check.start),
                "local_start": check.start.astimezone(zone).isoformat(),
                "available": check.available,
                "refusal": None
                if check.refusal is None
                else {
                    "rule": check.refusal.rule,
                    "field": check.refusal.field,
                    "message": check.refusal.message,
                    "kind": str(check.refusal.kind),
                },
                "alternatives": [
                    slot_data(
                        slot,
                        service_id=plan.service.pk,
                        provider_name=name,
                        policy=snapshot.policy,
                        now=snapshot.now,
                    )
                    for slot in check.alternatives
                ],
            }
            for check in plan.checks
        ],
    }


def series_payload(series: AppointmentSeries) -> dict:
    zone = ZoneInfo(series.timezone)
    occurrences = sorted(
        series.occurrences.prefetch_related("changes"),
        key=lambda a: (a.series_original_start, a.pk),
    )
    return {
        "id": series.pk,
        "uid": series.uid,
        "client": series.client_id,
        "provider": series.provider_id,
        "provider_name": series.provider.display_name,
        "service": series.service_id,
        "service_name": series.service.name,
        "frequency": series.frequency,
        "count": series.count,
        "until": series.until,
        "timezone": series.timezone,
        "first_start": utc_iso(series.first_start),
        "sequence": series.sequence,
        "occurrences": [
            {
                "id": a.pk,
                "status": a.status,
                "original_start": utc_iso(a.series_original_start),
                "start": utc_iso(a.start),
                "end": utc_iso(a.end),
                "local_start": a.start.astimezone(zone).isoformat(),
                "moved": a.start != a.series_original_start,
                "cancellation_reason": a.cancellation_reason,
                "changes": list(a.changes.all()),
            }
            for a in occurrences
        ],
    }


def _series_response(series: AppointmentSeries, *, status_code: int = 200) -> Response:
    series = AppointmentSeries.objects.select_related("provider", "service").get(pk=series.pk)
    return Response(AppointmentSeriesSerializer(series_payload(series)).data, status=status_code)


def _who(request, data) -> tuple[User, User]:
    """(client, actor): a person books for themselves, staff for the named client (acting
    as themselves), an API key as the named client (by their rules)."""
    user = request.user
    if is_api_key(user):
        return data["client"], data["client"]
    return data.get("client", user), user


# --- views ---------------------------------------------------------------------------------


class SeriesCheckApi(APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"POST": "appointments:read"}

    @extend_schema(
        summary="Check a series: each occurrence available or not, with alternatives",
        description="Nothing is booked. Every occurrence is checked by the booking rules at "
        "its own local wall-clock time in the provider's zone; a refused one names why and "
        "offers the closest starts that day (or on the nearest day with any).",
        request=SeriesRequestSerializer,
        responses={200: SeriesCheckSerializer, 400: ERRORS[400]},
    )
    def post(self, request):
        body = SeriesRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client, actor = _who(request, data)
        plan = series_services.series_check(
            client=client,
            provider=data["provider"],
            service=data["service"],
            first_start=data["start"],
            rule=_rule(data),
            replacements=_replacements(data),
            actor=actor,
            override_policy=data["override_policy"],
        )
        return Response(SeriesCheckSerializer(_check_payload(plan)).data)


class SeriesListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"GET": "appointments:read", "POST": "appointments:write"}

    @extend_schema(
        summary="Series visible to you (your own; a provider's; staff all)",
        responses={200: AppointmentSeriesSerializer(many=True)},
    )
    def get(self, request):
        ids = (
            appointments_visible_to(user=request.user)
            .filter(series__isnull=False)
            .values("series_id")
        )
        found = AppointmentSeries.objects.filter(pk__in=ids).select_related("provider", "service")
        return Response(
            AppointmentSeriesSerializer([series_payload(s) for s in found], many=True).data
        )

    @extend_schema(
        summary="Book a series in one transaction",
        description="mode all: every occurrence or none (409 naming the first refused one, "
        "nothing written); mode available: every occurrence that fits.",
        request=SeriesBookSerializer,
        parameters=[idempotency.PARAMETER],
        responses={201: AppointmentSeriesSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def post(self, request):
        body = SeriesBookSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client, actor = _who(request, data)
        booked = series_services.series_book(
            client=client,
            provider=data["provider"],
            service=data["service"],
            first_start=data["start"],
            rule=_rule(data),
            mode=data["mode"],
            replacements=_replacements(data),
            urgency=data["urgency"],
            client_notes=data["client_notes"],
            actor=actor,
            override_policy=data["override_policy"],
        )
        return _series_response(booked.series, status_code=status.HTTP_201_CREATED)


class _SeriesObjectMixin:
    def get_series(self, pk: int) -> AppointmentSeries:
        try:
            return series_services.series_for_user(user=self.request.user, series_id=pk)
        except AppointmentSeries.DoesNotExist:
            raise Http404("No such series.") from None

    def get_occurrence(self, series: AppointmentSeries, appointment_id: int) -> Appointment:
        return get_object_or_404(
            appointments_visible_to(user=self.request.user), pk=appointment_id, series=series
        )

    def actor(self, series: AppointmentSeries):
        return series.client if is_api_key(self.request.user) else self.request.user


class SeriesDetailApi(_SeriesObjectMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"GET": "appointments:read"}

    @extend_schema(
        summary="A series with each occurrence, its status and its history",
        responses={200: AppointmentSeriesSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return _series_response(self.get_series(pk))


class SeriesCancelApi(_SeriesObjectMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"POST": "appointments:write"}

    @extend_schema(
        summary="Cancel one occurrence, this and the following ones, or all",
        request=SeriesChangeSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: AppointmentSeriesSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def post(self, request, pk: int):
        series = self.get_series(pk)
        body = SeriesChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        series_services.series_cancel(
            appointment=self.get_occurrence(series, data["appointment"]),
            scope=data["scope"],
            actor=self.actor(series),
            reason=data["reason"],
        )
        return _series_response(series)


class SeriesMoveApi(_SeriesObjectMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"POST": "appointments:write"}

    @extend_schema(
        summary="Move one occurrence, this and the following ones, or all",
        request=SeriesMoveSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: AppointmentSeriesSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def post(self, request, pk: int):
        series = self.get_series(pk)
        body = SeriesMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        series_services.series_move(
            appointment=self.get_occurrence(series, data["appointment"]),
            new_start=data["start"],
            scope=data["scope"],
            actor=self.actor(series),
            reason=data["reason"],
        )
        return _series_response(series)
