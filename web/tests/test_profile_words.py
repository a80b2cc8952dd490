"""The profile speaks plainly: reminders are choices ("1 day before"), the zone is picked from
a list, and refused values are explained in words a client understands, next to their fields."""

import pytest

from accounts.tests.support import auth_client
from web.views.pages import reminder_choices, reminder_label

JARGON = ("A valid integer", "Item ", "IANA", "Invalid input")


def _put(user, body):
    response = auth_client(user).put("/api/users/profile", body, format="json")
    assert response.status_code == 400, response.content
    return response.json()["errors"]


@pytest.mark.parametrize(
    ("minutes", "label"),
    [
        (60, "1 hour before"),
        (1440, "1 day before"),
        (2880, "2 days before"),
        (180, "3 hours before"),
        (10080, "1 week before"),
        (90, "90 minutes before"),
        (1, "1 minute before"),
    ],
)
def test_reminders_read_as_people_say_them(minutes, label):
    assert reminder_label(minutes) == label


def test_the_users_own_reminders_are_among_the_choices_and_checked():
    choices = reminder_choices([90, 1440])
    assert [c["label"] for c in choices if c["checked"]] == ["1 day before", "90 minutes before"]
    assert "1 hour before" in [c["label"] for c in choices]


def test_the_profile_offers_reminders_as_choices_not_minutes(client, client_user):
    client.force_login(client_user)
    html = client.get("/profile").content.decode()

    assert 'name="reminder_lead_minutes" value="1440" checked> 1 day before' in html
    assert 'name="reminder_lead_minutes" value="60" checked> 1 hour before' in html
    assert "comma-separated" not in html
    assert "IANA" not in html


@pytest.mark.django_db
def test_refused_profile_values_are_explained_in_plain_words(client_user):
    errors = _put(
        client_user,
        {
            "timezone": "Mars/Olympus_Mons",
            "profile": {"max_wait_days": "soon", "reminder_lead_minutes": [60, "often"]},
        },
    )

    assert errors["max_wait_days"] == ["Enter a whole number of days, or leave it empty."]
    assert errors["reminder_lead_minutes"] == [
        "“often” is not accepted: Enter a whole number of minutes before the appointment."
    ]
    assert errors["timezone"] == [
        "“Mars/Olympus_Mons” is not a time zone we know. Choose one from the list, such as "
        "Europe/London."
    ]
    for messages in errors.values():
        for message in messages:
            assert not any(word in message for word in JARGON), message


@pytest.mark.django_db
def test_out_of_range_values_say_the_range(client_user):
    errors = _put(
        client_user,
        {"profile": {"max_wait_days": 400, "reminder_lead_minutes": [1, 2, 3, 4, 5, 6]}},
    )
    assert errors["max_wait_days"] == ["Enter at most 365 days."]
    assert errors["reminder_lead_minutes"] == ["Choose at most 5 reminders."]
