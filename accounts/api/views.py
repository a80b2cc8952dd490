"""Accounts API: thin views over accounts.services and accounts.selectors."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.exceptions import InvalidToken
from accounts.models import Role
from accounts.permissions import IsAdminRole
from smartbook.api.pagination import StandardPagination

ERRORS_400 = OpenApiResponse(s.ErrorSerializer, description="Invalid input; `errors` names fields.")
ERRORS_401 = OpenApiResponse(s.ErrorSerializer, description="Not authenticated.")
ERRORS_403 = OpenApiResponse(s.ErrorSerializer, description="Not allowed.")
ERRORS_404 = OpenApiResponse(s.ErrorSerializer, description="No such user.")
ERRORS_429 = OpenApiResponse(s.ErrorSerializer, description="Locked out or throttled.")


class AuthEndpoint(APIView):
    """Anonymous auth endpoints: no session (so no CSRF), throttled by the `auth` scope."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


REGISTERED = "Check your inbox: we have sent a link to verify this address. Follow it, then log in."


class RegisterView(AuthEndpoint):
    @extend_schema(
        tags=["auth"],
        summary="Register a client account",
        description=(
            "Creates a client and sends a verification email. Log in after verifying. An "
            "address that already has an account gets the same answer (nobody learns who "
            "is registered); its owner is emailed instead."
        ),
        request=s.RegisterInputSerializer,
        responses={201: s.RegisterOutputSerializer, 400: ERRORS_400, 429: ERRORS_429},
    )
    def post(self, request):
        data = _validated(s.RegisterInputSerializer, request.data)
        services.user_register(request=request._request, **data)
        body = {
            "detail": REGISTERED,
            "email": data["email"],
            "role": Role.CLIENT,
            "first_name": data["first_name"],
            "last_name": data["last_name"],
        }
        return Response(s.RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(AuthEndpoint):
    @extend_schema(
        tags=["auth"],
        summary="Log in: email and password for an access and a refresh token",
        description=(
            "Failed attempts are counted per email address and client IP; after "
            "`AXES_FAILURE_LIMIT` failures the pair is locked out for the cool-off period "
            "(429). An unverified email address answers 403 with code `email_unverified`."
        ),
        request=s.LoginInputSerializer,
        responses={
            200: s.LoginOutputSerializer,
            400: ERRORS_400,
            401: ERRORS_401,
            403: ERRORS_403,
            429: ERRORS_429,
        },
    )
    def post(self, request):
        data = _validated(s.LoginInputSerializer, request.data)
        user = services.auth_login(request=request, **data)
        tokens = services.auth_tokens_issue(user=user)
        body = {"access": tokens.access, "refresh": tokens.refresh, "user": user}
        return Response(s.LoginOutputSerializer(body).data)


class RefreshView(AuthEndpoint):
    @extend_schema(
        tags=["auth"],
        summary="Rotate tokens",
        description="The refresh token sent is blacklisted; use the new pair from now on.",
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, 400: ERRORS_400, 401: ERRORS_401},
    )
    def post(self, request):
        data = _validated(s.RefreshInputSerializer, request.data)
        tokens = services.auth_tokens_refresh(refresh=data["refresh"])
        return Response(s.TokenPairSerializer(tokens).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Log out: blacklist the refresh token",
        request=s.RefreshInputSerializer,
        responses={204: None, 400: ERRORS_400, 401: ERRORS_401},
    )
    def post(self, request):
        data = _validated(s.RefreshInputSerializer, request.data)
        try:
            services.auth_logout(user=request.user, refresh=data["refresh"])
        except InvalidToken as exc:
            raise exceptions.ValidationError({"refresh": [exc.message]}) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


PASSWORD_RESET_SENT = (
    "If an account exists for this address, we have sent it a link to choose a new password."
)


class PasswordResetRequestView(AuthEndpoint):
    @extend_schema(
        tags=["auth"],
        summary="Email a password reset link",
        description="Answers the same whether or not an account has this address.",
        request=s.PasswordResetRequestInputSerializer,
        responses={202: s.MessageSerializer, 400: ERRORS_400, 429: ERRORS_429},
    )
    def post(self, request):
        data = _validated(s.PasswordResetRequestInputSerializer, request.data)
        services.password_reset_request(email=data["email"])
        return Response({"detail": PASSWORD_RESET_SENT}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(AuthEndpoint):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the token from the reset email",
        description=(
            "The token works once (it is bound to the current password) and expires after "
            "PASSWORD_RESET_TIMEOUT. Every refresh token of the user is revoked."
        ),
        request=s.PasswordResetConfirmInputSerializer,
        responses={200: s.MessageSerializer, 400: ERRORS_400, 429: ERRORS_429},
    )
    def put(self, request, token: str):
        data = _validated(s.PasswordResetConfirmInputSerializer, request.data)
        try:
            services.password_reset_confirm(token=token, new_password=data["password"])
        except InvalidToken as exc:
            message = "This reset link is invalid, already used or expired. Ask for a new one."
            raise exceptions.ValidationError({"token": [message]}) from exc
        return Response({"detail": "Your password has been changed. Log in with it now."})


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    def _answer(self, user) -> Response:
        profile = selectors.user_profile(user=user)
        return Response(s.ProfileOutputSerializer(profile).data)

    @extend_schema(
        tags=["users"],
        summary="Your profile and preferences",
        responses={200: s.ProfileOutputSerializer, 401: ERRORS_401},
    )
    def get(self, request):
        return self._answer(request.user)

    def _update(self, request) -> Response:
        data = _validated(s.ProfileInputSerializer, request.data)
        services.profile_update(user=request.user, data=data)
        return self._answer(request.user)

    @extend_schema(
        tags=["users"],
        summary="Update your profile (only the fields sent change)",
        request=s.ProfileInputSerializer,
        responses={200: s.ProfileOutputSerializer, 400: ERRORS_400, 401: ERRORS_401},
    )
    def put(self, request):
        return self._update(request)

    @extend_schema(
        tags=["users"],
        summary="Update part of your profile",
        request=s.ProfileInputSerializer,
        responses={200: s.ProfileOutputSerializer, 400: ERRORS_400, 401: ERRORS_401},
    )
    def patch(self, request):
        return self._update(request)


class AdminUserListView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["admin"],
        summary="List users (admin)",
        operation_id="admin_users_list",
        parameters=[
            OpenApiParameter("role", str, enum=[c for c, _ in s.Role.choices]),
            OpenApiParameter("is_active", bool),
            OpenApiParameter("search", str, description="Words matched in email and names."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: s.AdminUserPageSerializer,
            400: ERRORS_400,
            401: ERRORS_401,
            403: ERRORS_403,
        },
    )
    def get(self, request):
        filters = _validated(s.AdminUserFilterSerializer, request.query_params)
        users = selectors.user_list(**filters)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(users, request, view=self)
        return paginator.get_paginated_response(s.AdminUserOutputSerializer(page, many=True).data)


class AdminUserDetailView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["admin"],
        summary="One user (admin)",
        responses={
            200: s.AdminUserOutputSerializer,
            401: ERRORS_401,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def get(self, request, user_id: int):
        user = selectors.user_get(user_id=user_id)
        return Response(s.AdminUserOutputSerializer(user).data)

    def _update(self, request, user_id: int) -> Response:
        user = selectors.user_get(user_id=user_id)
        data = _validated(s.AdminUserInputSerializer, request.data)
        user = services.user_admin_update(user=user, data=data, actor=request.user)
        return Response(s.AdminUserOutputSerializer(user).data)

    @extend_schema(
        tags=["admin"],
        summary="Change a user's role, active flag, names, phone or time zone (admin)",
        request=s.AdminUserInputSerializer,
        responses={
            200: s.AdminUserOutputSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def put(self, request, user_id: int):
        return self._update(request, user_id)

    @extend_schema(
        tags=["admin"],
        summary="Change part of a user (admin)",
        request=s.AdminUserInputSerializer,
        responses={
            200: s.AdminUserOutputSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def patch(self, request, user_id: int):
        return self._update(request, user_id)

    @extend_schema(
        tags=["admin"],
        summary="Deactivate and anonymise a user, keeping their history (admin)",
        responses={204: None, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def delete(self, request, user_id: int):
        user = selectors.user_get(user_id=user_id)
        services.user_anonymise(user=user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
