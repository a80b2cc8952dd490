from django.http import Http404
from rest_framework import serializers

from providers.models import Provider, Service, Urgency
from recommendations.services import MAX_LIMIT
from scheduling.api.serializers import (
    MovingQueryField,
    SlotSerializer,
    StrictPrimaryKeyRelatedField,
    validate_moving,
)
from smartbook.api.fields import AwareDateTimeField
from smartbook.api.serializers import InputSerializer


class RecommendedQuerySerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        error_messages={"does_not_exist": "No service with id {pk_value}."},
    )
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.all(),
        required=False,
        error_messages={"does_not_exist": "No provider with id {pk_value}."},
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=5)
    reschedule = MovingQueryField()

    def validate(self, attrs):
        moving = attrs.get("reschedule")
        if moving is not None and moving.client_id != self.context["request"].user.pk:
            raise Http404("No such appointment.")  # recommendations are for one's own moves
        return validate_moving(attrs)


class RecommendedSlotSerializer(SlotSerializer):
    """A slot in the one slot shape, with its rank, score and reasons."""

    recommendation_id = serializers.UUIDField(help_text="Send it back when booking this slot.")
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class RecommendationSerializer(serializers.Serializer):
    recommendation_id = serializers.UUIDField()
    ranker = serializers.CharField(help_text="'rules' or the learned model version used.")
    model_version = serializers.IntegerField(
        allow_null=True, help_text="The learned model's version number (null: the rules)."
    )
    explored = serializers.BooleanField(
        help_text="Whether this list was shuffled a little to learn (exploration)."
    )
    candidate_count = serializers.IntegerField(help_text="Bookable slots considered.")
    results = RecommendedSlotSerializer(many=True)


class ProviderPreferencesSerializer(InputSerializer):
    """The client's provider wishes, replaced as a whole."""

    preferred_providers = StrictPrimaryKeyRelatedField(
        many=True,
        queryset=Provider.objects.filter(is_active=True),
        help_text="Providers to favour (ids).",
    )
    avoided_providers = StrictPrimaryKeyRelatedField(
        many=True,
        queryset=Provider.objects.filter(is_active=True),
        help_text="Providers never to recommend (ids); the free times still show them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("preferred_providers", "avoided_providers"):
            child = self.fields[name].child_relation
            child.error_messages["does_not_exist"] = "No active provider with id {pk_value}."


class ProviderPreferencesOutputSerializer(serializers.Serializer):
    preferred_providers = serializers.ListField(child=serializers.IntegerField())
    avoided_providers = serializers.ListField(child=serializers.IntegerField())
