"""The scheduling API: thin views that validate, call a selector or service, serialize.

Domain errors (`scheduling.errors`) propagate: the API's exception handler gives each its
HTTP status (smartbook/api/errors.py).
"""

from zoneinfo import ZoneInfo

from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from accounts.principals import is_api_key
from providers.models import Provider
from scheduling import rules, selectors, services
from scheduling.api.filters import AppointmentFilter
from scheduling.api.serializers import (
    AdminAppointmentUpdateSerializer,
    AppointmentBookSerializer,
    AppointmentCancelSerializer,
    AppointmentCreateForClientSerializer,
    AppointmentCreateSerializer,
    AppointmentDetailSerializer,
    AppointmentSerializer,
    AppointmentUpdateSerializer,
    AvailabilityQuerySerializer,
    AvailableQuerySerializer,
    SlotListSerializer,
    slot_data,
    utc_iso,
)
from scheduling.availability import Interval
from scheduling.errors import BookingRuleViolation
from scheduling.models import AppointmentSource, BookingPolicy
from smartbook.api import idempotency

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names the field."),
    404: OpenApiResponse(description="No such appointment visible to you."),
    409: OpenApiResponse(description="The time is taken, or the status forbids the change."),
}

WINDOW_PARAMETERS = [
    OpenApiParameter("service", OpenApiTypes.INT, required=True, description="Service id."),
    OpenApiParameter(
        "start", OpenApiTypes.DATETIME, required=True, description="Window start, with offset."
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATETIME, required=True, description="Window end, with offset."
    ),
]


def _slots_response(
    *,
    service,
    start,
    end,
    slots,
    snapshot=None,
    providers=None,
    full_days=(),
    closed_days=(),
    staff=False,
) -> Response:
    """The slots the rules offered from `snapshot` (its clock and policy say what the
    cut-off would allow once each is booked). Staff also read which providers' external
    calendars are stale (`ProviderFacts.calendar_stale_since`) and whether they are offered."""
    if providers is not None:
        names = {provider.pk: provider.display_name for provider in providers}
    else:
        names = dict(
            Provider.objects.filter(pk__in={slot.provider_id for slot in slots}).values_list(
                "pk", "display_name"
            )
        )
    payload = {
        "service": service.pk,
        "start": utc_iso(start),
        "end": utc_iso(end),
        "count": len(slots),
        "slots": [
            slot_data(
                slot,
                service_id=service.pk,
                provider_name=names.get(slot.provider_id, ""),
                policy=snapshot.policy,
                now=snapshot.now,
            )
            for slot in slots
        ],
        "closed_days": list(closed_days),
        "full_days": [{"date": day, "reason": reason} for day, reason in full_days],
        "stale_calendars": [
            {
                "provider": facts.provider_id,
                "provider_name": facts.name,
                "stale_since": utc_iso(facts.calendar_stale_since),
                "still_offered": snapshot.policy.offer_when_calendar_stale,
            }
            for _, facts in sorted(snapshot.providers.items())
            if facts.calendar_stale_since is not None
        ]
        if staff and snapshot is not None
        else [],
    }
    return Response(SlotListSerializer(payload).data)


class AvailableSlotsApi(APIView):
    # Visitors browse free times before signing up (throttled per address); signed-in
    # clients get theirs with their own limits applied.
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    api_key_scopes = {"GET": "services:read"}

    @extend_schema(
        summary="Open slots for a service across providers",
        parameters=[
            *WINDOW_PARAMETERS,
            OpenApiParameter("provider", OpenApiTypes.INT, description="Only this provider."),
            OpenApiParameter(
                "timezone",
                OpenApiTypes.STR,
                description="The viewer's IANA zone, for the dates of `closed_days`.",
            ),
            OpenApiParameter(
                "reschedule",
                OpenApiTypes.INT,
                description="An appointment being moved: where it may go (its own time free).",
            ),
        ],
        responses={200: SlotListSerializer, 400: ERRORS[400]},
    )
    def get(self, request):
        policy = BookingPolicy.load()
        query = AvailableQuerySerializer(
            data=request.query_params, context={"policy": policy, "request": request}
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        provider = data.get("provider")
        moving = data.get("reschedule")
        if moving is not None:
            client = moving.client  # where their appointment may move, by their rules
        elif (
            not request.user.is_authenticated
            or request.user.is_staff_member
            or is_api_key(request.user)
        ):
            # Visitors, staff and keys see the slots as a client with no bookings would.
            client = None
        else:
            client = request.user  # their own appointments and per-day limit apply
        providers = [provider] if provider else None
        snapshot, slots, full_days, closed_days = None, [], [], []
        if data["service"].is_active:
            snapshot, slots = selectors.slot_offer(
                service=data["service"],
                start=data["start"],
                end=data["end"],
                providers=providers,
                client=client,
                moving=moving,
                policy=policy,
            )
            full_days = selectors.client_full_days(
                snapshot=snapshot, start=data["start"], end=data["end"]
            )
            zone = data.get("timezone") or (client.timezone if client is not None else "UTC")
            closed_days = rules.closed_dates(
                snapshot,
                data["service"].pk,
                Interval(data["start"], data["end"]),
                ZoneInfo(zone),
            )
        return _slots_response(
            service=data["service"],
            start=data["start"],
            end=data["end"],
            slots=slots,
            snapshot=snapshot,
            providers=providers,
            full_days=full_days,
            closed_days=closed_days,
            staff=getattr(request.user, "is_staff_member", False),
        )


class ProviderAvailabilityApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    api_key_scopes = {"GET": "services:read"}

    @extend_schema(
        summary="One provider's open slots for a service",
        parameters=WINDOW_PARAMETERS,
        responses={200: SlotListSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        provider = get_object_or_404(Provider, pk=pk, is_active=True, user__is_active=True)
        policy = BookingPolicy.load()
        query = AvailabilityQuerySerializer(data=request.query_params, context={"policy": policy})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        service, start, end = data["service"], data["start"], data["end"]
        snapshot = selectors.booking_snapshot(
            service=service, start=start, end=end, providers=[provider], policy=policy
        )
        refused = rules.subject_refusal(snapshot, service.pk, provider.pk)
        if refused is not None:  # the booking service's own rule and words
            raise BookingRuleViolation(refused.field, refused.message)
        slots = rules.offered_slots(snapshot, service.pk, Interval(start, end))
        return _slots_response(
            service=service,
            start=start,
            end=end,
            slots=slots,
            snapshot=snapshot,
            providers=[provider],
            staff=getattr(request.user, "is_staff_member", False),
        )


class AppointmentListCreateApi(generics.ListAPIView):
    """Own appointments (a provider also sees theirs, an admin all); POST books."""

    permission_classes = [IsAuthenticated]
    api_key_scopes = {"GET": "appointments:read", "POST": "appointments:write"}
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter

    def get_queryset(self):
        return selectors.appointments_visible_to(user=self.request.user).order_by("start", "pk")

    @extend_schema(summary="List appointments visible to you")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Book an appointment",
        request=AppointmentBookSerializer,
        description="With an API key (scope appointments:write), `client` names the client "
        "booked for (their user id); the booking is made as that client, by their rules.",
        parameters=[idempotency.PARAMETER],
        responses={201: AppointmentDetailSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def post(self, request):
        by_key = is_api_key(request.user)
        serializer = AppointmentCreateForClientSerializer if by_key else AppointmentCreateSerializer
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = data["client"] if by_key else request.user
        context = {}
        source = AppointmentSource.MANUAL
        if "recommendation_id" in data:
            context["recommendation_id"] = data["recommendation_id"]
            source = AppointmentSource.RECOMMENDATION
        appointment = services.appointment_book(
            client=client,
            provider=data["provider"],
            service=data["service"],
            start=data["start"],
            urgency=data["urgency"],
            client_notes=data["client_notes"],
            source=source,
            actor=client,
            context=context,
        )
        return Response(
            AppointmentDetailSerializer(appointment).data, status=status.HTTP_201_CREATED
        )


def _actor(request, appointment):
    """Who changes `appointment`: an API key acts as its client (their rules and cut-off)."""
    return appointment.client if is_api_key(request.user) else request.user


class _AppointmentObjectMixin:
    def get_appointment(self, pk: int, *, with_changes: bool = False):
        queryset = selectors.appointments_visible_to(user=self.request.user)
        if with_changes:
            queryset = queryset.prefetch_related("changes")
        return get_object_or_404(queryset, pk=pk)

    def detail(self, appointment) -> Response:
        """The appointment as the write service left it (read under lock, then saved), with
        its reschedule history read afresh."""
        prefetch_related_objects([appointment], "changes")
        return Response(AppointmentDetailSerializer(appointment).data)


class AppointmentDetailApi(_AppointmentObjectMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {
        "GET": "appointments:read",
        "PUT": "appointments:write",
        "PATCH": "appointments:write",
        "DELETE": "appointments:write",
    }

    @extend_schema(
        summary="An appointment with its reschedule history",
        responses={200: AppointmentDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return Response(
            AppointmentDetailSerializer(self.get_appointment(pk, with_changes=True)).data
        )

    @extend_schema(
        summary="Reschedule (start) and/or edit the notes",
        request=AppointmentUpdateSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: AppointmentDetailSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def put(self, request, pk: int):
        appointment = self.get_appointment(pk)
        body = AppointmentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        appointment = services.appointment_update(
            appointment=appointment,
            actor=_actor(request, appointment),
            new_start=data.get("start"),
            client_notes=data.get("client_notes"),
            reason=data["reason"],
        )
        return self.detail(appointment)

    @extend_schema(
        summary="Reschedule (start) and/or edit the notes",
        request=AppointmentUpdateSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: AppointmentDetailSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    def patch(self, request, pk: int):
        return self.put(request, pk)  # idempotent through put

    @extend_schema(
        summary="Cancel (the appointment is kept with status cancelled)",
        request=AppointmentCancelSerializer,
        parameters=[
            OpenApiParameter("reason", OpenApiTypes.STR, description="Why."),
            idempotency.PARAMETER,
        ],
        responses={200: AppointmentDetailSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def delete(self, request, pk: int):
        appointment = self.get_appointment(pk)
        if isinstance(request.data, dict) and request.data:
            raw = request.data
        else:
            raw = {"reason": request.query_params.get("reason", "")}
        body = AppointmentCancelSerializer(data=raw)
        body.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(
            appointment=appointment,
            actor=_actor(request, appointment),
            reason=body.validated_data["reason"],
        )
        return self.detail(appointment)


class AppointmentCompleteApi(_AppointmentObjectMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark completed (the provider or an admin)",
        request=None,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        appointment = services.appointment_complete(
            appointment=self.get_appointment(pk), actor=request.user
        )
        return self.detail(appointment)


class AppointmentNoShowApi(_AppointmentObjectMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark no-show (the provider or an admin)",
        request=None,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        appointment = services.appointment_mark_no_show(
            appointment=self.get_appointment(pk), actor=request.user
        )
        return self.detail(appointment)


class AdminAppointmentListApi(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter

    def get_queryset(self):
        return selectors.appointments_visible_to(user=self.request.user).order_by("start", "pk")

    @extend_schema(summary="All appointments (admin)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AdminAppointmentDetailApi(_AppointmentObjectMixin, APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        summary="An appointment (admin)",
        responses={200: AppointmentDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return Response(
            AppointmentDetailSerializer(self.get_appointment(pk, with_changes=True)).data
        )

    @extend_schema(
        summary="Staff change: time, notes or status, with an explicit policy override",
        description="`override_policy` lifts notice, horizon, per-day limits and the client "
        "cut-off. It never allows an overlap: a taken time answers 409.",
        request=AdminAppointmentUpdateSerializer,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def put(self, request, pk: int):
        appointment = self.get_appointment(pk)
        body = AdminAppointmentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        appointment = services.appointment_staff_update(
            appointment=appointment,
            actor=request.user,
            new_start=data.get("start"),
            client_notes=data.get("client_notes"),
            status=data.get("status"),
            reason=data["reason"],
            override_policy=data["override_policy"],
        )
        return self.detail(appointment)

    @extend_schema(
        summary="Staff change (same as PUT)",
        request=AdminAppointmentUpdateSerializer,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def patch(self, request, pk: int):
        return self.put(request, pk)
