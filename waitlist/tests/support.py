"""Helpers of the waitlist tests."""

import threading
from datetime import date, time

from django.db import connections

from waitlist.services import RangeInput


def days(first: date, last: date, earliest: time = time(9), latest: time = time(17)) -> RangeInput:
    return RangeInput(first_date=first, last_date=last, earliest=earliest, latest=latest)


def race(actions: list) -> tuple[list, list[Exception]]:
    """Run the callables at once in threads released together behind a barrier, each on
    its own connection (closed after): what they returned, and what they raised."""
    barrier = threading.Barrier(len(actions))
    done: list = []
    failed: list[Exception] = []
    lock = threading.Lock()

    def run(action) -> None:
        try:
            barrier.wait(timeout=30)
            result = action()
            with lock:
                done.append(result)
        except Exception as exc:  # collected and asserted on below
            with lock:
                failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return done, failed
