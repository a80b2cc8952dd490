from rest_framework import serializers

from accounts.models import validate_timezone_name
from analytics.selectors import build_query
from providers.models import Provider, Service


class AnalyticsQuerySerializer(serializers.Serializer):
    """The dashboard's filters as query parameters (dates are local dates in `tz`)."""

    start = serializers.DateField(required=False, help_text="First day (default: 30 days ago).")
    end = serializers.DateField(required=False, help_text="Last day, inclusive (default: today).")
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.all(), required=False, help_text="Provider id."
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, help_text="Service id."
    )
    tz = serializers.CharField(
        required=False,
        max_length=64,
        validators=[validate_timezone_name],
        help_text="IANA zone of the dates and the heat map (default: yours).",
    )

    def validate(self, attrs):
        user = self.context["request"].user
        attrs["query"] = build_query(
            start=attrs.get("start"),
            end=attrs.get("end"),
            tz=attrs.get("tz") or getattr(user, "timezone", "") or "UTC",
            provider=attrs.get("provider"),
            service=attrs.get("service"),
        )
        return attrs


class RangeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    timezone = serializers.CharField()
    provider = serializers.IntegerField(allow_null=True)
    service = serializers.IntegerField(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    bookings = serializers.IntegerField()
    cancellations = serializers.IntegerField()
    cancellation_rate = serializers.FloatField(allow_null=True)
    no_shows = serializers.IntegerField()
    no_show_rate = serializers.FloatField(allow_null=True)
    booked_minutes = serializers.FloatField()
    working_minutes = serializers.FloatField()
    utilisation = serializers.FloatField(allow_null=True)
    recommendation_bookings = serializers.IntegerField()
    recommendation_share = serializers.FloatField(allow_null=True)
    top_pick_rate = serializers.FloatField(allow_null=True)
    new_clients = serializers.IntegerField()


class ChangeSerializer(serializers.Serializer):
    """Current minus previous, per figure (null where either is undefined)."""

    bookings = serializers.IntegerField()
    cancellations = serializers.IntegerField()
    cancellation_rate = serializers.FloatField(allow_null=True)
    no_shows = serializers.IntegerField()
    no_show_rate = serializers.FloatField(allow_null=True)
    utilisation = serializers.FloatField(allow_null=True)
    recommendation_share = serializers.FloatField(allow_null=True)
    top_pick_rate = serializers.FloatField(allow_null=True)
    new_clients = serializers.IntegerField()


class DayRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    bookings = serializers.IntegerField()
    cancellations = serializers.IntegerField()


class HeatmapRowSerializer(serializers.Serializer):
    weekday = serializers.CharField(help_text="Mon ... Sun")
    hour = serializers.IntegerField(min_value=0, max_value=23)
    bookings = serializers.IntegerField()


class UtilisationRowSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    provider = serializers.CharField()
    booked_minutes = serializers.FloatField()
    working_minutes = serializers.FloatField()
    utilisation = serializers.FloatField(allow_null=True)


class ServiceRowSerializer(serializers.Serializer):
    service_id = serializers.IntegerField()
    service = serializers.CharField()
    bookings = serializers.IntegerField()
    cancellations = serializers.IntegerField()


class ForecastRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    bookings = serializers.FloatField()
    forecast = serializers.BooleanField()


class SeriesSerializer(serializers.Serializer):
    bookings_per_day = DayRowSerializer(many=True)
    heatmap = HeatmapRowSerializer(many=True)
    utilisation = UtilisationRowSerializer(many=True)
    services = ServiceRowSerializer(many=True)
    forecast = ForecastRowSerializer(many=True)


class BookingsAnalyticsSerializer(serializers.Serializer):
    range = RangeSerializer()
    previous_range = RangeSerializer()
    figures = FiguresSerializer()
    previous = FiguresSerializer()
    change = ChangeSerializer()
    series = SeriesSerializer()


class NewClientsRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    new_clients = serializers.IntegerField()


class UsersAnalyticsSerializer(serializers.Serializer):
    range = RangeSerializer()
    previous_range = RangeSerializer()
    new_clients = serializers.IntegerField()
    previous_new_clients = serializers.IntegerField()
    change = serializers.IntegerField()
    clients_with_bookings = serializers.IntegerField(
        help_text="Distinct clients with an appointment in the range (filters apply)."
    )
    active_users_by_role = serializers.DictField(child=serializers.IntegerField())
    new_clients_per_day = NewClientsRowSerializer(many=True)
