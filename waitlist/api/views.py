"""The waitlist API: thin views that validate, call one selector or service, serialize.

A client sees and changes only their own entries and offers (others' answer 404). The
token endpoints need no login: the signed link is the credential (`waitlist.links`).
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from scheduling.api.serializers import AppointmentDetailSerializer
from waitlist import links, selectors, services
from waitlist.api.serializers import (
    EntryCreateSerializer,
    EntrySerializer,
    EntryUpdateSerializer,
    OfferSerializer,
    TokenSerializer,
    ranges_of,
)
from waitlist.models import Offer, WaitlistEntry

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names the field."),
    404: OpenApiResponse(description="No such entry or offer of yours."),
    409: OpenApiResponse(description="This time has gone, or the entry cannot change."),
}


class EntryListCreateApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return WaitlistEntry.objects.none()
        return selectors.entries_of_client(client=self.request.user)

    @extend_schema(summary="My waitlist entries")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Join a waitlist",
        request=EntryCreateSerializer,
        responses={201: EntrySerializer, **ERRORS},
    )
    def post(self, request):
        body = EntryCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = services.entry_join(
            client=request.user,
            service=data["service"],
            provider=data["provider"],
            urgency=data["urgency"],
            expires_on=data["expires_on"],
            appointment=data["appointment"],
            short_notice=data["short_notice"],
            ranges=ranges_of(data["ranges"]),
            now=timezone.now(),
        )
        entry = selectors.entry_for_client(client=request.user, entry_id=entry.pk)
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_entry(self, pk: int) -> WaitlistEntry:
        try:
            return selectors.entry_for_client(client=self.request.user, entry_id=pk)
        except WaitlistEntry.DoesNotExist as exc:
            raise Http404("No such waitlist entry.") from exc

    def detail(self, pk: int) -> Response:
        return Response(EntrySerializer(self.get_entry(pk)).data)

    @extend_schema(summary="One of my waitlist entries", responses={200: EntrySerializer})
    def get(self, request, pk: int):
        return self.detail(pk)

    @extend_schema(
        summary="Change the ranges, expiry or urgency",
        request=EntryUpdateSerializer,
        responses={200: EntrySerializer, **ERRORS},
    )
    def patch(self, request, pk: int):
        entry = self.get_entry(pk)
        body = EntryUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.entry_update(
            entry=entry,
            client=request.user,
            ranges=ranges_of(data["ranges"]) if "ranges" in data else None,
            expires_on=data.get("expires_on"),
            urgency=data.get("urgency"),
            short_notice=data.get("short_notice"),
            now=timezone.now(),
        )
        return self.detail(pk)

    @extend_schema(summary="Leave the waitlist", request=None, responses={200: EntrySerializer})
    def delete(self, request, pk: int):
        services.entry_leave(entry=self.get_entry(pk), client=request.user, now=timezone.now())
        return self.detail(pk)


class OfferListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OfferSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Offer.objects.none()
        return selectors.offers_of_client(client=self.request.user)

    @extend_schema(summary="Times offered to me from the waitlist")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _own_offer(request, pk: int) -> Offer:
    try:
        return selectors.offer_for_client(client=request.user, offer_id=pk)
    except Offer.DoesNotExist as exc:
        raise Http404("No such offer.") from exc


def _accepted(appointment) -> Response:
    return Response(AppointmentDetailSerializer(appointment).data, status=status.HTTP_200_OK)


class OfferDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One offer made to me", responses={200: OfferSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(OfferSerializer(_own_offer(request, pk)).data)


class OfferAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take the offered time (book it, or move my appointment there)",
        request=None,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        appointment = services.offer_accept(
            offer=_own_offer(request, pk), client=request.user, now=timezone.now()
        )
        return _accepted(appointment)


class OfferDeclineApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Decline the offered time (it goes to the next client waiting)",
        request=None,
        responses={200: OfferSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        offer = services.offer_decline(
            offer=_own_offer(request, pk), client=request.user, now=timezone.now()
        )
        return Response(OfferSerializer(offer).data)


class OfferTokenAcceptApi(APIView):
    """The signed link's accept, without login (the token is the credential)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Take the offered time with the signed link's token",
        request=TokenSerializer,
        responses={200: AppointmentDetailSerializer, **ERRORS},
    )
    def post(self, request):
        body = TokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer, client = links.offer_for_token(body.validated_data["token"])
        appointment = services.offer_accept(offer=offer, client=client, now=timezone.now())
        return _accepted(appointment)


class OfferTokenDeclineApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Decline the offered time with the signed link's token",
        request=TokenSerializer,
        responses={200: OfferSerializer, **ERRORS},
    )
    def post(self, request):
        body = TokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer, client = links.offer_for_token(body.validated_data["token"])
        offer = services.offer_decline(offer=offer, client=client, now=timezone.now())
        return Response(OfferSerializer(offer).data)
