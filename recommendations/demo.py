"""Months of demo booking history, so the dashboard and recommendations have data."""


def create_demo_history() -> None:
    raise NotImplementedError
