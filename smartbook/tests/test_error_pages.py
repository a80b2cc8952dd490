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
