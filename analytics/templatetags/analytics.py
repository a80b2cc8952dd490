from datetime import timedelta

from django import template
from django.utils import timezone

from analytics.selectors import DEFAULT_DAYS, provider_utilisation

register = template.Library()


@register.simple_tag
def utilisation_last_30_days(provider) -> str:
    """ "23.4%" of the provider's working time booked over the last 30 days ("n/a": no hours)."""
    if provider is None or provider.pk is None:
        return ""
    end = timezone.now()
    value = provider_utilisation(provider, end - timedelta(days=DEFAULT_DAYS), end)
    return "n/a" if value is None else f"{value * 100:.1f}%"


CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 180, 24


@register.inclusion_tag("analytics/no_show_report.html")
def no_show_section(query) -> dict:
    """The dashboard's no-show section: predicted against actual no-shows by week (an inline
    SVG chart with its table) and the rates by service, provider, lead time and weekday."""
    from analytics.selectors import no_show_report

    if query is None:
        return {"report": None}
    report = no_show_report(query)
    weeks = report.calibration.to_dict("records")
    top = max([1.0, *(w["predicted"] for w in weeks), *(w["actual"] for w in weeks)])
    slot = (CHART_WIDTH - 2 * CHART_PAD) / max(1, len(weeks))
    bar = max(2.0, slot * 0.35)
    scale = (CHART_HEIGHT - 2 * CHART_PAD) / top
    bars = []
    for number, week in enumerate(weeks):
        left = CHART_PAD + number * slot
        for offset, kind in ((0.0, "predicted"), (bar, "actual")):
            height = week[kind] * scale
            bars.append(
                {
                    "kind": kind,
                    "x": round(left + offset, 1),
                    "y": round(CHART_HEIGHT - CHART_PAD - height, 1),
                    "width": round(bar, 1),
                    "height": round(height, 1),
                    "label": f"Week of {week['week']:%d %b}: {kind} {week[kind]:g}",
                }
            )

    def rows(frame):
        return [{**row, "percent": f"{row['rate']:.0%}"} for row in frame.to_dict("records")]

    return {
        "report": report,
        "rate": "–" if report.rate is None else f"{report.rate:.0%}",
        "weeks": weeks,
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_HEIGHT - CHART_PAD,
        "tz": query.tz,
        "tables": [
            ("service", "No-show rate by service", "Service", rows(report.by_service)),
            ("provider", "No-show rate by provider", "Provider", rows(report.by_provider)),
            (
                "lead",
                "No-show rate by how far ahead it was booked",
                "Booked",
                rows(report.by_lead_time),
            ),
            (
                "weekday",
                f"No-show rate by weekday ({query.tz})",
                "Weekday",
                rows(report.by_weekday),
            ),
        ],
    }
