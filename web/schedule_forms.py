"""Forms of the provider's own hours and time off. They check the shape only (a start and an
end given together); the providers' services decide (end after start, no overlap, a period
off that ends after it starts), and their field errors are put back on these forms."""

from __future__ import annotations

import re
from collections import defaultdict

from django import forms
from django.core.exceptions import ValidationError

from providers.models import Provider, Weekday
from web.widgets import DateTimeInput, TimeInput

# Intervals a day can hold on the form (a morning and an afternoon, say); more when the
# provider already works more pieces a day.
SLOTS_PER_DAY = 2
HOURS_ERROR = re.compile(r"^working_hours\[(\d+)\]\.?(\w*)$")


class WeeklyHoursForm(forms.Form):
    """A week of working hours, wall-clock times in the provider's own zone: per weekday up
    to `slots` intervals (`<day>_<n>_start`, `<day>_<n>_end`)."""

    def __init__(self, *args, provider: Provider, **kwargs):
        current: dict[int, list] = defaultdict(list)
        for hours in provider.working_hours.order_by("weekday", "start_time"):
            current[hours.weekday].append(hours)
        self.slots = max(SLOTS_PER_DAY, *(len(rows) for rows in current.values()), 0)
        initial = {}
        for weekday, rows in current.items():
            for number, hours in enumerate(rows, start=1):
                initial[f"{weekday}_{number}_start"] = hours.start_time
                initial[f"{weekday}_{number}_end"] = hours.end_time
        super().__init__(*args, initial=initial, **kwargs)
        self.positions: list[tuple[str, str]] = []  # (start field, end field) per interval sent
        for weekday in Weekday:
            for number in range(1, self.slots + 1):
                for edge in ("start", "end"):
                    self.fields[f"{weekday.value}_{number}_{edge}"] = forms.TimeField(
                        required=False,
                        label=f"{weekday.label} {edge} {number}",
                        widget=TimeInput,
                    )

    def days(self) -> list[dict]:
        """Per weekday, its label and the (start, end) bound fields of each interval."""
        return [
            {
                "label": weekday.label,
                "intervals": [
                    (
                        self[f"{weekday.value}_{number}_start"],
                        self[f"{weekday.value}_{number}_end"],
                    )
                    for number in range(1, self.slots + 1)
                ],
            }
            for weekday in Weekday
        ]

    def clean(self):
        data = super().clean()
        self.intervals: list[dict] = []
        self.positions = []
        for weekday in Weekday:
            for number in range(1, self.slots + 1):
                start_name = f"{weekday.value}_{number}_start"
                end_name = f"{weekday.value}_{number}_end"
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    missing = start_name if start is None else end_name
                    self.add_error(missing, f"Give both times for {weekday.label}, or neither.")
                    continue
                self.intervals.append(
                    {"weekday": weekday.value, "start_time": start, "end_time": end}
                )
                self.positions.append((start_name, end_name))
        return data

    def apply_service_errors(self, error: ValidationError) -> None:
        """Put the providers' services' errors (`working_hours[i].start_time`) on the fields
        of interval i."""
        for key, messages in error.message_dict.items():
            match = HOURS_ERROR.match(key)
            if match is None or int(match.group(1)) >= len(self.positions):
                for message in messages:
                    self.add_error(None, message)
                continue
            start_name, end_name = self.positions[int(match.group(1))]
            target = end_name if match.group(2) == "end_time" else start_name
            for message in messages:
                self.add_error(target, message)


class TimeOffForm(forms.Form):
    """A period off, local times in the provider's own zone (the view reads the form with
    that zone active, so the times become instants there)."""

    start = forms.DateTimeField(label="From", widget=DateTimeInput)
    end = forms.DateTimeField(label="Until", widget=DateTimeInput)
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=200)

    def apply_service_errors(self, error: ValidationError) -> None:
        for key, messages in error.message_dict.items():
            target = key if key in self.fields else None
            for message in messages:
                self.add_error(target, message)
