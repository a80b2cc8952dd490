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


def open_day(page, day: str) -> None:
    """On the booking page, go to a local day (YYYY-MM-DD) through "Go to a date" and wait
    until its times are listed."""
    page.wait_for_selector("#browse:not([aria-busy]) #month-days button")
    page.fill("#jump-date", day)
    page.wait_for_selector(f"#browse:not([aria-busy]) #days .sb-day[data-day='{day}']")
