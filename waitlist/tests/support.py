"""Helpers of the waitlist tests."""

from datetime import date, time

from waitlist.services import RangeInput


def days(first: date, last: date, earliest: time = time(9), latest: time = time(17)) -> RangeInput:
    return RangeInput(first_date=first, last_date=last, earliest=earliest, latest=latest)
