from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recommendations.api.serializers import (
    ProviderPreferencesOutputSerializer,
    ProviderPreferencesSerializer,
    RecommendationSerializer,
    RecommendedQuerySerializer,
)
from recommendations.selectors import provider_wishes, providers_by_wish
from recommendations.services import (
    Recommendation,
    provider_preferences_set,
    recommendation_for_client,
)
from scheduling.api.serializers import slot_data


def _as_payload(recommendation: Recommendation) -> dict:
    log = recommendation.log
    snapshot = recommendation.snapshot
    results = [
        {
            **slot_data(
                slot.candidate,
                service_id=log.service_id,
                provider_name=recommendation.providers[slot.candidate.provider_id].display_name,
                policy=snapshot.policy,
                now=snapshot.now,
            ),
            "recommendation_id": log.pk,
            "rank": slot.rank,
            "score": slot.score,
            "reasons": list(slot.reasons),
        }
        for slot in recommendation.slots
    ]
    return {
        "recommendation_id": log.pk,
        "ranker": log.ranker,
        "model_version": log.model_version.version if log.model_version_id else None,
        "explored": log.explored,
        "candidate_count": log.candidate_count,
        "results": results,
    }


class RecommendedSlotsApi(APIView):
    """The best bookable slots for the signed-in client, with scores and reasons."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Recommended slots for a service",
        description=(
            "Ranks the bookable slots of the window for you: your usual days, times and "
            "provider, the urgency, and slots that leave no unusable gaps. Book one with "
            "POST /api/appointments and its `recommendation_id`."
        ),
        parameters=[RecommendedQuerySerializer],
        responses={
            200: RecommendationSerializer,
            400: OpenApiResponse(description="Invalid input; `errors` names the parameter."),
        },
    )
    def get(self, request):
        query = RecommendedQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        recommendation = recommendation_for_client(
            client=request.user,
            service=data["service"],
            start=data["start"],
            end=data["end"],
            provider=data.get("provider"),
            urgency=data["urgency"],
            limit=data["limit"],
            moving=data.get("reschedule"),
        )
        return Response(RecommendationSerializer(_as_payload(recommendation)).data)


def _preferences_response(user) -> Response:
    preferred, avoided = providers_by_wish(provider_wishes(client=user))
    body = {"preferred_providers": preferred, "avoided_providers": avoided}
    return Response(ProviderPreferencesOutputSerializer(body).data)


class ProviderPreferencesApi(APIView):
    """The providers the signed-in client prefers or avoids (recommendations use them)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your provider preferences", responses=ProviderPreferencesOutputSerializer
    )
    def get(self, request):
        return _preferences_response(request.user)

    @extend_schema(
        summary="Replace your provider preferences",
        request=ProviderPreferencesSerializer,
        responses={
            200: ProviderPreferencesOutputSerializer,
            400: OpenApiResponse(description="Invalid input; `errors` names the field."),
        },
    )
    def put(self, request):
        body = ProviderPreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        provider_preferences_set(
            client=request.user,
            preferred=body.validated_data["preferred_providers"],
            avoided=body.validated_data["avoided_providers"],
        )
        return _preferences_response(request.user)
