"""Admin analytics API: the staff dashboard's numbers as JSON (admin role only)."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRoleOrAPIKey
from analytics.api.serializers import (
    AnalyticsQuerySerializer,
    BookingsAnalyticsSerializer,
    UsersAnalyticsSerializer,
)
from analytics.selectors import DashboardQuery, dashboard, frame_records, users_summary


def range_json(query: DashboardQuery) -> dict:
    return {
        "start": query.first_day.isoformat(),
        "end": query.last_day.isoformat(),
        "timezone": query.tz,
        "provider": query.provider.id if query.provider else None,
        "service": query.service.id if query.service else None,
    }


def dashboard_json(query: DashboardQuery) -> dict:
    result = dashboard(query)
    return {
        "range": range_json(query),
        "previous_range": range_json(query.previous()),
        "figures": result.figures,
        "previous": result.previous,
        "change": result.change,
        "series": {name: frame_records(frame) for name, frame in result.charts.items()},
    }


class AnalyticsApiView(APIView):
    # Staff, or a key holding analytics:read (its scope is checked when it authenticates).
    permission_classes = [IsAuthenticated, IsAdminRoleOrAPIKey]
    api_key_scopes = {"GET": "analytics:read"}

    def query(self, request) -> DashboardQuery:
        params = AnalyticsQuerySerializer(data=request.query_params, context={"request": request})
        params.is_valid(raise_exception=True)
        return params.validated_data["query"]


class BookingsAnalyticsApi(AnalyticsApiView):
    @extend_schema(
        operation_id="admin_analytics_bookings",
        summary="Booking figures and series of the staff dashboard",
        parameters=[AnalyticsQuerySerializer],
        responses=BookingsAnalyticsSerializer,
        tags=["admin"],
    )
    def get(self, request):
        return Response(dashboard_json(self.query(request)))


class UsersAnalyticsApi(AnalyticsApiView):
    @extend_schema(
        operation_id="admin_analytics_users",
        summary="New clients and user counts of the staff dashboard",
        parameters=[AnalyticsQuerySerializer],
        responses=UsersAnalyticsSerializer,
        tags=["admin"],
    )
    def get(self, request):
        query = self.query(request)
        summary = users_summary(query)
        summary["new_clients_per_day"] = frame_records(summary["new_clients_per_day"])
        return Response(
            {"range": range_json(query), "previous_range": range_json(query.previous()), **summary}
        )
