"""Helpers for any app's tests (plain functions; the fixtures live in the root conftest.py)."""

from rest_framework.test import APIClient


def auth_client(user) -> APIClient:
    """An API client authenticated as `user` with a real JWT bearer token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api
