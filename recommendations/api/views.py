from datetime import UTC

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recommendations.api.serializers import RecommendationSerializer, RecommendedQuerySerializer
from recommendations.services import Recommendation, recommendation_for_client


def _as_payload(recommendation: Recommendation) -> dict:
    log = recommendation.log
    results = []
    for slot in recommendation.slots:
        candidate = slot.candidate
        provider = recommendation.providers[candidate.provider_id]
        zone = candidate.local_start.tzinfo
        results.append(
            {
                "recommendation_id": log.pk,
                "rank": slot.rank,
                "provider": {"id": provider.pk, "name": provider.display_name},
                "service": log.service_id,
                "start": candidate.start.astimezone(UTC),
                "end": candidate.end.astimezone(UTC),
                "local_start": candidate.local_start.isoformat(),
                "local_end": candidate.end.astimezone(zone).isoformat(),
                "timezone": candidate.timezone,
                "score": slot.score,
                "reasons": list(slot.reasons),
            }
        )
    return {
        "recommendation_id": log.pk,
        "ranker": log.ranker,
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
        query = RecommendedQuerySerializer(data=request.query_params)
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
        )
        return Response(RecommendationSerializer(_as_payload(recommendation)).data)
