import pytest


@pytest.mark.django_db
def test_unknown_page_renders_the_branded_404(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"SmartBook" in response.content


@pytest.mark.django_db
def test_unknown_api_url_answers_json_404(client):
    response = client.get("/api/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


@pytest.mark.django_db
def test_user_admin_page_lists_the_clients_appointment_history(client, admin_user):
    from datetime import UTC, datetime

    from accounts.tests.factories import UserFactory
    from providers.tests.factories import ProviderFactory, ServiceFactory
    from scheduling.models import AppointmentStatus
    from scheduling.tests.factories import AppointmentFactory

    service = ServiceFactory(name="Knee check")
    provider = ProviderFactory(services=[service])
    patient = UserFactory(role="client")
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    AppointmentFactory(
        client=patient,
        provider=provider,
        service=service,
        start=start,
        status=AppointmentStatus.COMPLETED,
    )
    client.force_login(admin_user)

    response = client.get(f"/admin/accounts/user/{patient.pk}/change/")

    assert response.status_code == 200
    assert b"appointment history" in response.content.lower()
    assert b"Knee check" in response.content


@pytest.mark.django_db
def test_admin_carries_the_product_name(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"SmartBook staff dashboard" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_with_debug_on_or_off_an_unknown_page_is_ours_and_lists_no_url_patterns(
    client, settings, debug
):
    settings.DEBUG = debug

    page = client.get("/no-such-page")
    api = client.get("/api/no-such-endpoint")

    assert page.status_code == 404
    assert b"Page not found" in page.content and b"SmartBook" in page.content
    assert b"URLconf" not in page.content and b"api/schema" not in page.content
    assert (api.status_code, api["Content-Type"]) == (404, "application/json")
    assert api.json()["code"] == "not_found"


@pytest.mark.django_db
def test_with_debug_on_a_page_that_finds_nothing_is_ours(client, settings, client_user):
    settings.DEBUG = True
    client.force_login(client_user)

    response = client.get("/appointments/999999")

    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Django tried" not in response.content and b"Raised by" not in response.content


@pytest.mark.django_db
def test_with_debug_on_the_missing_slash_still_redirects(client, settings):
    settings.DEBUG = True

    response = client.get("/admin")

    assert response.status_code == 301
    assert response["Location"] == "/admin/"
