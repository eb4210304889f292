"""Shared set-up of the benchmark scripts: a PostgreSQL database of their own, migrated and
seeded with `seed_demo --calls N`, and timing helpers. Run on demand, never in CI."""

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/umcr_bench")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umcr.settings")
os.environ.setdefault("Q_SYNC", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOGIN_THROTTLE_RATE", "1000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# In-process requests over plain HTTP: no redirect to HTTPS (a deployment default).
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


def ensure_database() -> None:
    """Create the bench database if it is missing (it is kept between runs)."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    name = config["NAME"]
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(calls: int) -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", calls=calls)
    print(f"seed_demo --calls {calls}: {time.perf_counter() - started:.1f} s (idempotent re-run)")
    # As autovacuum leaves a production database: statistics for the planner, and the
    # visibility map that lets PostgreSQL answer from an index alone. A freshly seeded
    # database has neither, and its plans are several times slower than production's.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def machine() -> str:
    return f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"


def summarise(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(fn, repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


class Measured(NamedTuple):
    """One endpoint's figures: median and p95 in milliseconds, queries and bytes of one GET."""

    median: float
    p95: float
    queries: int
    size: int


def measure(client, url: str, repeat: int, warmup: int = 3) -> Measured:
    """GET `url` once to count its queries and bytes (it must answer 200), then time it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: the log is cleared by the requests that follow.
    query_count = len(queries)
    assert response.status_code == 200, (url, response.status_code)
    median, p95 = summarise(timed(lambda: client.get(url), repeat, warmup))
    return Measured(median, p95, query_count, len(response.content))


def signed_in_client(username: str):
    """A DRF test client signed in as a demo user (with the demo password)."""
    from rest_framework.test import APIClient

    from demo.data import PASSWORD

    client = APIClient()
    login = client.post(
        "/api/v1/auth/login/",
        {"username": username, "password": PASSWORD, "device_name": "bench"},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION="Token " + login.json()["token"])
    return client
