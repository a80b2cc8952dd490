"""Helpers of the calendar tests: the real servers live in `calendars.testing` (the
benchmark starts them too)."""

from calendars.testing import FileServer, RadicaleServer, vcalendar, vevent

__all__ = ["FileServer", "RadicaleServer", "vcalendar", "vevent"]
