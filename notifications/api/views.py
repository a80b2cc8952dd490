"""Thin views over the inbox and calendar-feed selectors and services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api.serializers import (
    CalendarFeedSerializer,
    MarkAllReadSerializer,
    NotificationSerializer,
)
from smartbook.api.pagination import StandardPagination


class InboxPagination(StandardPagination):
    """The standard page, plus the user's unread count (over all pages)."""

    unread_count = 0

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer", "example": 3}
        schema["required"] = [*schema.get("required", []), "unread_count"]
        return schema


class NotificationListApi(ListAPIView):
    serializer_class = NotificationSerializer
    pagination_class = InboxPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(tags=["notifications"], summary="Own notifications, newest first")
    def get(self, request, *args, **kwargs):
        self.paginator.unread_count = selectors.notification_unread_count(user=request.user)
        return super().get(request, *args, **kwargs)


class NotificationDetailApi(GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(tags=["notifications"], summary="One own notification")
    def get(self, request, pk: int):
        notification = selectors.notification_get(user=request.user, pk=pk)
        return Response(NotificationSerializer(notification).data)


class NotificationReadApi(GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(
        tags=["notifications"],
        summary="Mark one own notification read",
        request=None,
        responses={200: NotificationSerializer},
    )
    def post(self, request, pk: int):
        notification = selectors.notification_get(user=request.user, pk=pk)
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllApi(GenericAPIView):
    serializer_class = MarkAllReadSerializer

    @extend_schema(
        tags=["notifications"],
        summary="Mark all own notifications read",
        request=None,
        responses={200: MarkAllReadSerializer},
    )
    def post(self, request):
        updated = services.notifications_mark_all_read(user=request.user)
        unread = selectors.notification_unread_count(user=request.user)
        return Response({"updated": updated, "unread_count": unread})


class CalendarFeedApi(GenericAPIView):
    serializer_class = CalendarFeedSerializer

    @extend_schema(
        tags=["calendar"],
        summary="Own calendar subscription URL (created on first use)",
        responses={200: CalendarFeedSerializer},
    )
    def get(self, request):
        feed = services.calendar_feed_get_or_create(user=request.user)
        return Response(CalendarFeedSerializer(feed, context={"request": request}).data)


class CalendarFeedRegenerateApi(GenericAPIView):
    serializer_class = CalendarFeedSerializer

    @extend_schema(
        tags=["calendar"],
        summary="New calendar subscription URL; the old one stops working",
        request=None,
        responses={201: CalendarFeedSerializer},
    )
    def post(self, request):
        feed = services.calendar_feed_regenerate(user=request.user)
        return Response(
            CalendarFeedSerializer(feed, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
