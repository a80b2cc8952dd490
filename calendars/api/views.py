"""The external calendars API: a provider's own connections (others' answer 404). Thin
views: validate, call one service or selector, serialize."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from calendars import selectors, services
from calendars.api.serializers import (
    CalendarsChoiceSerializer,
    ConnectionCreateSerializer,
    ConnectionSerializer,
    connection_data,
)
from calendars.models import CalendarConnection, ConnectionKind

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names the field."),
    403: OpenApiResponse(description="Only providers connect calendars."),
    404: OpenApiResponse(description="No such connection of yours."),
}


def _own(request, pk: int) -> CalendarConnection:
    try:
        return selectors.connection_for(user=request.user, connection_id=pk)
    except CalendarConnection.DoesNotExist:
        raise Http404("No such calendar connection.") from None


class ConnectionListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My external calendars", responses={200: ConnectionSerializer(many=True)}
    )
    def get(self, request):
        connections = selectors.connections_of(user=request.user)
        return Response([connection_data(connection) for connection in connections])

    @extend_schema(
        summary="Connect an external calendar",
        description="`kind` ics subscribes to an ICS address (read only); `kind` caldav "
        "connects a CalDAV account with a user name and an app password (stored encrypted, "
        "never returned). The first sync runs at once.",
        request=ConnectionCreateSerializer,
        responses={201: ConnectionSerializer, **ERRORS},
    )
    def post(self, request):
        provider = selectors.provider_of(request.user)
        if provider is None:
            raise PermissionDenied("Only providers can connect calendars.")
        body = ConnectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["kind"] == ConnectionKind.ICS:
            connection = services.connection_create_ics(
                provider=provider, url=data["url"], name=data["name"], actor=request.user
            )
        else:
            connection = services.connection_create_caldav(
                provider=provider,
                url=data["url"],
                username=data["username"],
                password=data["password"],
                name=data["name"],
                actor=request.user,
            )
        connection = _own(request, connection.pk)
        return Response(connection_data(connection), status=status.HTTP_201_CREATED)


class ConnectionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One external calendar", responses={200: ConnectionSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(connection_data(_own(request, pk)))

    @extend_schema(
        summary="Disconnect an external calendar",
        description="Its busy time stops blocking at once.",
        responses={204: None, **ERRORS},
    )
    def delete(self, request, pk: int):
        services.connection_delete(connection=_own(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionCalendarsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Choose which calendars count as busy and which receives appointments",
        request=CalendarsChoiceSerializer,
        responses={200: ConnectionSerializer, **ERRORS},
    )
    def put(self, request, pk: int):
        connection = _own(request, pk)
        body = CalendarsChoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.connection_calendars_update(
            connection=connection,
            busy_calendar_ids=body.validated_data["busy_calendars"],
            receiving_calendar_id=body.validated_data.get("receiving_calendar"),
            actor=request.user,
        )
        return Response(connection_data(_own(request, pk)))


class ConnectionSyncApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Sync an external calendar now",
        request=None,
        responses={
            200: ConnectionSerializer,
            409: OpenApiResponse(description="A sync of it is running."),
            429: OpenApiResponse(description="It was synced a moment ago."),
            **ERRORS,
        },
    )
    def post(self, request, pk: int):
        connection = _own(request, pk)
        services.connection_sync_now(connection=connection, actor=request.user)
        return Response(connection_data(_own(request, pk)))
