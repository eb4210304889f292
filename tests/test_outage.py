"""A database outage (issue 13): every API answer is JSON - 503 `unavailable` with
Retry-After - and the service recovers by itself when the database is back.

The outage is real: the test database stops taking connections and every open one is
terminated, from a second connection, as a restart would do."""

import psycopg
import pytest
from django.db import connection

from calls.models import BackupRequest
from tests.calls.helpers import CALLS, backup_body, backups_url, minutes_ago, team_pair
from tests.sync.helpers import SYNC_DB, pull

pytestmark = SYNC_DB


def _admin(sql: str) -> None:
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql)


@pytest.fixture
def outage():
    """Stop the test database for the test's body; bring it back afterwards."""
    name = connection.settings_dict["NAME"]

    def down():
        _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )

    def up():
        _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        connection.close()

    yield down, up
    up()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unavailable"
    assert int(response["Retry-After"]) > 0


def test_reads_writes_and_sync_answer_503_json_while_the_database_is_down(outage):
    pair = team_pair()
    down, up = outage
    body = backup_body(minutes_ago(1))

    down()
    answers = [
        pair.first.client.get(CALLS),
        pair.first.client.post(backups_url(pair.call), body, format="json"),
        pull(pair.first.client, None),
    ]
    up()

    for response in answers:
        assert_unavailable(response)


def test_the_service_recovers_by_itself_and_a_retry_loses_nothing(outage):
    pair = team_pair()
    down, up = outage
    body = backup_body(minutes_ago(1))
    down()
    refused = pair.first.client.post(backups_url(pair.call), body, format="json")
    up()

    retried = pair.first.client.post(backups_url(pair.call), body, format="json")

    assert refused.status_code == 503
    assert retried.status_code == 201
    assert BackupRequest.objects.filter(pk=body["id"]).count() == 1
