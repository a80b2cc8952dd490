"""Thin views: validate the input, call one selector or service, serialize the result."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsAdminRole
from providers import selectors
from providers.api.serializers import (
    AdminProviderCreateSerializer,
    AdminProviderSerializer,
    ProviderListFilterSerializer,
    PublicProviderDetailSerializer,
    PublicProviderSerializer,
    PublicServiceSerializer,
    ServiceListFilterSerializer,
)
from providers.models import Provider, Service, ServiceCategory
from providers.services import provider_create

# Error responses (400, 401, 403, 404) are added to every operation by the schema hook in
# smartbook.api.schema with the shared error envelope; only successes are declared here.


class ServiceListApi(ListAPIView):
    permission_classes = [AllowAny]
    api_key_scopes = {"GET": "services:read"}
    serializer_class = PublicServiceSerializer
    filter_backends: list = []

    @extend_schema(
        tags=["services"],
        summary="Active services",
        parameters=[ServiceListFilterSerializer],
        responses={200: PublicServiceSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        filters = ServiceListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        category = None
        if "category" in filters.validated_data:
            try:
                category = selectors.category_get_by_key(key=filters.validated_data["category"])
            except ServiceCategory.DoesNotExist:
                raise ValidationError({"category": ["Unknown category."]}) from None
        page = self.paginate_queryset(selectors.service_list(category=category))
        return self.get_paginated_response(PublicServiceSerializer(page, many=True).data)


class ServiceDetailApi(GenericAPIView):
    permission_classes = [AllowAny]
    api_key_scopes = {"GET": "services:read"}
    serializer_class = PublicServiceSerializer

    @extend_schema(
        tags=["services"],
        summary="One active service",
        responses={200: PublicServiceSerializer},
    )
    def get(self, request, pk: int):
        try:
            service = selectors.service_get(service_id=pk)
        except Service.DoesNotExist as exc:
            raise Http404 from exc
        return Response(PublicServiceSerializer(service).data)


class ProviderListApi(ListAPIView):
    permission_classes = [AllowAny]
    api_key_scopes = {"GET": "services:read"}
    serializer_class = PublicProviderSerializer
    filter_backends: list = []

    @extend_schema(
        tags=["providers"],
        summary="Active providers",
        parameters=[ProviderListFilterSerializer],
        responses={200: PublicProviderSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        filters = ProviderListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        service = None
        if "service" in filters.validated_data:
            try:
                service = selectors.service_get(service_id=filters.validated_data["service"])
            except Service.DoesNotExist:
                raise ValidationError({"service": ["Unknown or inactive service."]}) from None
        page = self.paginate_queryset(selectors.provider_list(service=service))
        return self.get_paginated_response(PublicProviderSerializer(page, many=True).data)


class ProviderDetailApi(GenericAPIView):
    permission_classes = [AllowAny]
    api_key_scopes = {"GET": "services:read"}
    serializer_class = PublicProviderDetailSerializer

    @extend_schema(
        tags=["providers"],
        summary="One active provider, with weekly working hours",
        responses={200: PublicProviderDetailSerializer},
    )
    def get(self, request, pk: int):
        try:
            provider = selectors.provider_get(provider_id=pk)
        except Provider.DoesNotExist as exc:
            raise Http404 from exc
        return Response(PublicProviderDetailSerializer(provider).data)


class AdminProviderCreateApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = AdminProviderCreateSerializer

    @extend_schema(
        tags=["admin"],
        summary="Add a provider (user, profile, services and hours in one transaction)",
        request=AdminProviderCreateSerializer,
        responses={201: AdminProviderSerializer},
    )
    def post(self, request):
        serializer = AdminProviderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        provider = provider_create(**serializer.validated_data, actor=request.user)
        provider = selectors.provider_get_any(provider_id=provider.pk)
        return Response(AdminProviderSerializer(provider).data, status=status.HTTP_201_CREATED)
