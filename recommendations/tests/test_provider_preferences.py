"""A client's preferred and avoided providers: kept through the API and used by the engine
(an avoided provider is never recommended, a preferred one is favoured and said to be)."""

from datetime import timedelta

import pytest

from providers.tests.factories import ProviderFactory
from recommendations.engine import DEFAULT_WEIGHTS, StatedPreferences, recommend
from recommendations.models import ClientProviderPreference
from recommendations.tests.engine_helpers import context, provider_context, slot

URL = "/api/users/profile/providers"


def test_an_avoided_provider_is_never_recommended_and_a_preferred_one_is_favoured():
    ctx = context(
        providers=[provider_context(1, name="Dr. Ada"), provider_context(2, name="Dr. Ben")],
        preferences=StatedPreferences(
            preferred_providers=frozenset({2}), avoided_providers=frozenset({1})
        ),
    )
    candidates = [
        slot(1, 10, provider_id=1),
        slot(1, 10, provider_id=2),
        slot(2, 11, provider_id=2),
    ]
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS)
    assert shown and {r.candidate.provider_id for r in shown} == {2}
    assert "with Dr. Ben, as you prefer" in shown[0].reasons


def test_a_preferred_provider_wins_an_otherwise_equal_time():
    ctx = context(
        providers=[provider_context(1, name="Dr. Ada"), provider_context(2, name="Dr. Ben")],
        preferences=StatedPreferences(preferred_providers=frozenset({2})),
    )
    top = recommend(
        [slot(1, 10, provider_id=1), slot(1, 10, provider_id=2)], ctx, weights=DEFAULT_WEIGHTS
    )
    assert top[0].candidate.provider_id == 2


@pytest.mark.django_db
def test_the_api_keeps_them_and_leaves_the_historys_days_and_hours_their_weight(
    frozen_now, client_api, client_user
):
    ada, ben = ProviderFactory(), ProviderFactory()
    assert client_api.get(URL).json() == {"preferred_providers": [], "avoided_providers": []}
    response = client_api.put(
        URL, {"preferred_providers": [ben.pk], "avoided_providers": [ada.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"preferred_providers": [ben.pk], "avoided_providers": [ada.pk]}
    client_user.profile.refresh_from_db()
    # Days and hours were not restated: the history before keeps its full weight.
    assert client_user.profile.preferences_changed_at is None
    # Another client's wishes are their own.
    assert not ClientProviderPreference.objects.exclude(client=client_user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"preferred_providers": ["{ada}"], "avoided_providers": ["{ada}"]},
            "avoided_providers",
            "both",
        ),
        (
            {"preferred_providers": [999999], "avoided_providers": []},
            "preferred_providers",
            "No active provider",
        ),
        (
            {"preferred_providers": [], "avoided_providers": [], "notes": "x"},
            "notes",
            "Unknown field",
        ),
        ({"preferred_providers": []}, "avoided_providers", "required"),
    ],
)
def test_impossible_wishes_are_refused_by_field_and_change_nothing(
    client_api, client_user, body, field, words
):
    ada = ProviderFactory()
    ClientProviderPreference.objects.create(client=client_user, provider=ada, wish="prefer")
    body = {
        key: [ada.pk if item == "{ada}" else item for item in value]
        if isinstance(value, list)
        else value
        for key, value in body.items()
    }
    response = client_api.put(URL, body, format="json")
    assert response.status_code == 400
    assert words in " ".join(response.json()["errors"][field])
    assert list(ClientProviderPreference.objects.values_list("wish", flat=True)) == ["prefer"]


@pytest.mark.django_db
def test_recommendations_through_the_api_keep_off_an_avoided_provider(
    frozen_now, client_api, client_user
):
    from providers.tests.factories import ServiceFactory

    service = ServiceFactory(duration_minutes=30)
    ada, ben = ProviderFactory(services=[service]), ProviderFactory(services=[service])
    client_api.put(URL, {"preferred_providers": [], "avoided_providers": [ada.pk]}, format="json")
    response = client_api.get(
        "/api/appointments/recommended",
        {
            "service": service.pk,
            "start": frozen_now.isoformat(),
            "end": (frozen_now + timedelta(days=7)).isoformat(),
            "limit": 10,
        },
    )
    assert response.status_code == 200
    assert {item["provider"]["id"] for item in response.json()["results"]} == {ben.pk}


@pytest.mark.django_db
def test_staff_read_the_wishes_in_the_admin(admin_client, client_user):
    ada = ProviderFactory(display_name="Dr. Ada Osei")
    ClientProviderPreference.objects.create(client=client_user, provider=ada, wish="avoid")
    page = admin_client.get("/admin/recommendations/clientproviderpreference/")
    assert page.status_code == 200
    assert "Dr. Ada Osei" in page.content.decode() and "Avoid" in page.content.decode()
