"""The load balancer's probes: `/health/` (the process answers) and `/ready/` (it can serve:
the database and django-q2's broker answer). Public, plain Django views, not part of the API
or its schema; they never read or write anyone's data.
"""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.models import OrmQ

logger = logging.getLogger(__name__)

# Seconds a probe waits for Redis, and a load balancer is asked to wait before trying again.
REDIS_TIMEOUT_SECONDS = 2
RETRY_AFTER_SECONDS = 10


@never_cache
@require_GET
def health(request):
    """Liveness: the process is up and answering. Touches nothing, so a database outage
    never makes a supervisor restart healthy app servers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """Readiness: the database answers a query and the broker answers (a Redis PING with
    REDIS_URL; with the ORM broker, its queue table). 503 with Retry-After otherwise, so the
    load balancer sends no traffic here until both are back."""
    checks = {"database": check_database(), "broker": check_broker()}
    failed = [name for name, state in checks.items() if state != "ok"]
    if not failed:
        return JsonResponse({"status": "ok", "checks": checks})
    response = JsonResponse(
        {
            "detail": f"Not ready: {' and '.join(failed)} unavailable.",
            "code": "unavailable",
            "checks": checks,
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Readiness: the database did not answer.", exc_info=True)
        return "unavailable"
    return "ok"


def check_broker() -> str:
    if settings.REDIS_URL:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        except redis.RedisError:
            logger.warning("Readiness: Redis did not answer PING.", exc_info=True)
            return "unavailable"
        finally:
            client.close()
        return "ok"
    # The ORM broker keeps its queue in a table of the configured database.
    try:
        OrmQ.objects.using(settings.Q_CLUSTER.get("orm", "default")).exists()
    except DatabaseError:
        logger.warning("Readiness: the ORM broker's table did not answer.", exc_info=True)
        return "unavailable"
    return "ok"
