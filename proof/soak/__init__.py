"""The soak harness (`python -m proof.soak`, kept out of the deployed packages): a throw-away
PostgreSQL database, gunicorn with production settings on loopback, many concurrent clients
booking, rescheduling and cancelling overlapping slots, then checks in SQL and latency figures.

Loopback only and bounded: the load runs for a fixed time against 127.0.0.1.
"""

from proof.soak.database import SoakRefused
from proof.soak.runner import run_soak
from proof.soak.server import BASE_DIR, gunicorn_server, production_env

__all__ = ["BASE_DIR", "SoakRefused", "gunicorn_server", "production_env", "run_soak"]
