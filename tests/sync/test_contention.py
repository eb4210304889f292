"""No write waits behind another phone's batch (issue 13): a police-backup request commits
at once while another connection is in the middle of the largest push allowed.

Real transactions on PostgreSQL: the push runs in a thread with its own connection."""

import threading
import time

from django.db import connection

from calls.models import BackupRequest, Note
from tests.calls.helpers import backup_body, backups_url, minutes_ago
from tests.calls.helpers import team_pair as phones_pair
from tests.sync.helpers import SYNC_DB, created, minutes_ago_ms, note_record, pull_body, push
from umcr.sync.push import MAX_PUSH_RECORDS

pytestmark = SYNC_DB


def test_a_backup_request_commits_while_a_5000_record_push_is_open():
    pushing, asking = phones_pair(), phones_pair()
    cursor = pull_body(pushing.first.client, None)["timestamp"]
    notes = [
        note_record(pushing.call, f"Note {n} written offline.", minutes_ago_ms(30))
        for n in range(MAX_PUSH_RECORDS)
    ]
    done = threading.Event()
    answers: list = []

    def push_all():
        try:
            answers.append(push(pushing.first.client, created(notes=notes), cursor))
        finally:
            connection.close()
            done.set()

    pusher = threading.Thread(target=push_all, daemon=True)
    pusher.start()
    deadline = time.monotonic() + 60
    while not Note.objects.filter(call=pushing.call).exists():  # the push is under way
        assert time.monotonic() < deadline, "the push never began to apply"
        time.sleep(0.01)

    started = time.monotonic()
    response = asking.first.client.post(
        backups_url(asking.call), backup_body(minutes_ago(1)), format="json"
    )
    waited = time.monotonic() - started
    push_still_open = not done.is_set()
    pusher.join(300)

    assert response.status_code == 201
    assert push_still_open, "the push ended before the backup request: nothing was shown"
    assert waited < 2.0, f"the backup request waited {waited:.2f} s behind the push"
    assert BackupRequest.objects.filter(pk=response.json()["id"]).exists()
    assert answers[0].status_code == 200
    assert answers[0].json()["applied"] == MAX_PUSH_RECORDS
