"""Helpers of the browser tests."""

PASSWORD = "a-long-and-unusual-passphrase-42"


def login_as(page, live_server, user) -> None:
    """Sign `user` in by giving the browser a real session cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
