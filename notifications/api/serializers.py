from rest_framework import serializers

from notifications.models import CalendarFeed, Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    appointment = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    links = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text='What the entry offers to do: [{"label": "Accept", "url": ...}] (a waitlist '
        "offer's one-click links).",
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "appointment",
            "links",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class MarkAllReadSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many notifications were marked read.")
    unread_count = serializers.IntegerField()


class CalendarFeedSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The secret subscription URL (iCalendar).")

    class Meta:
        model = CalendarFeed
        fields = ["url", "created_at"]
        read_only_fields = fields

    def get_url(self, feed: CalendarFeed) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(feed.path) if request else feed.path
