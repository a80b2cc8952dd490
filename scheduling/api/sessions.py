"""The group sessions API: the sessions you may see with their seats left, the attendee list
for the provider and staff, and cancelling a whole session. A seat itself is an appointment,
booked, moved and cancelled through `/api/appointments`."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from scheduling import sessions as session_services
from scheduling.models import GroupSession
from smartbook.api import idempotency
from smartbook.api.fields import AwareDateTimeField, StrictCharField
from smartbook.api.serializers import InputSerializer


class AttendeeSerializer(serializers.Serializer):
    appointment = serializers.IntegerField()
    client = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    status = serializers.CharField()


class GroupSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    provider = serializers.IntegerField()
    provider_name = serializers.CharField()
    service = serializers.IntegerField()
    service_name = serializers.CharField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    timezone = serializers.CharField(help_text="The provider's IANA time zone.")
    capacity = serializers.IntegerField()
    participants = serializers.IntegerField(help_text="Seats booked or confirmed.")
    seats_left = serializers.IntegerField()
    min_participants = serializers.IntegerField()
    cancellation_reason = serializers.CharField()
    attendees = AttendeeSerializer(
        many=True,
        allow_null=True,
        help_text="For the provider of the session and staff: every seat taken, with its "
        "status. Null for a client, who sees the seats left, not the other attendees.",
    )


class SessionCancelSerializer(InputSerializer):
    reason = StrictCharField(max_length=500, allow_blank=False)


ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names the field."),
    403: OpenApiResponse(description="Only the provider or staff may cancel a session."),
    404: OpenApiResponse(description="No such session visible to you."),
    409: OpenApiResponse(description="The session is already cancelled."),
}


def session_payload(session: GroupSession, *, user) -> dict:
    attendees = None
    if session_services.sees_attendees(user=user, session=session):
        attendees = [
            {
                "appointment": seat.pk,
                "client": seat.client_id,
                "name": seat.client.get_full_name() or seat.client.email,
                "email": seat.client.email,
                "status": seat.status,
            }
            for seat in session_services.attendees(session)
        ]
    return {
        "id": session.pk,
        "status": session.status,
        "provider": session.provider_id,
        "provider_name": session.provider.display_name,
        "service": session.service_id,
        "service_name": session.service.name,
        "start": session.start,
        "end": session.end,
        "timezone": session.provider.timezone,
        "capacity": session.service.capacity,
        "participants": session.participants,
        "seats_left": session_services.seats_left(session),
        "min_participants": session.service.min_participants,
        "cancellation_reason": session.cancellation_reason,
        "attendees": attendees,
    }


class _SessionMixin:
    def get_session(self, pk: int) -> GroupSession:
        try:
            return session_services.session_for_user(user=self.request.user, session_id=pk)
        except GroupSession.DoesNotExist:
            raise Http404("No such group session.") from None


class SessionListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"GET": "appointments:read"}
    serializer_class = GroupSessionSerializer

    def get_queryset(self):
        return session_services.with_attendees(
            session_services.sessions_visible_to(user=self.request.user).order_by("start", "pk")
        )

    @extend_schema(
        summary="Group sessions visible to you (with a seat of yours; a provider's; staff all)",
        description="Paginated, soonest first; the attendees are read for the whole page in "
        "one query.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            GroupSessionSerializer(
                [session_payload(session, user=request.user) for session in page], many=True
            ).data
        )


class SessionDetailApi(_SessionMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"GET": "appointments:read"}

    @extend_schema(
        summary="A group session: seats left, and for its provider and staff the attendees",
        responses={200: GroupSessionSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        session = self.get_session(pk)
        return Response(GroupSessionSerializer(session_payload(session, user=request.user)).data)


class SessionCancelApi(_SessionMixin, APIView):
    permission_classes = [IsAuthenticated]
    api_key_scopes = {"POST": "appointments:write"}

    @extend_schema(
        summary="Cancel a whole group session: every attendee is told, with the reason",
        request=SessionCancelSerializer,
        parameters=[idempotency.PARAMETER],
        responses={200: GroupSessionSerializer, **ERRORS, **idempotency.RESPONSES},
    )
    @idempotency.idempotent
    def post(self, request, pk: int):
        session = self.get_session(pk)
        body = SessionCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_services.session_cancel(
            session=session, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(
            GroupSessionSerializer(session_payload(self.get_session(pk), user=request.user)).data
        )
