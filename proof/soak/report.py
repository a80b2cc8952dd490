"""Requests, statuses and latency percentiles per endpoint."""

import math
from collections import Counter

from proof.soak.load import ClientRun


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(runs: list[ClientRun], seconds: float) -> dict:
    samples = [sample for run in runs for sample in run.samples]
    by_status: Counter[str] = Counter(str(status) for _, status, _ in samples)
    endpoints: dict[str, dict] = {}
    for label in sorted({label for label, _, _ in samples}):
        latencies = sorted(ms for name, _, ms in samples if name == label)
        statuses = Counter(str(status) for name, status, _ in samples if name == label)
        endpoints[label] = {
            "requests": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "statuses": dict(sorted(statuses.items())),
        }
    return {
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1) if seconds else 0.0,
        "statuses": dict(sorted(by_status.items())),
        # Crashes (500 and the like); 503 is the API's honest "database unavailable, retry".
        "server_errors": sum(1 for _, status, _ in samples if status >= 500 and status != 503),
        "unavailable_503": by_status.get("503", 0),
        "transport_errors": by_status.get("0", 0),
        "bookings_acknowledged": sum(len(run.promises) for run in runs),
        "reschedules_acknowledged": sum(run.reschedules for run in runs),
        "endpoints": endpoints,
        "p95_ms": {label: figures["p95_ms"] for label, figures in endpoints.items()},
    }
