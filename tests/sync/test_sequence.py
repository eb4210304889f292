"""The cursor is a server change sequence, never a clock: concurrent writers on PostgreSQL,
each thread on its own connection, and a phone pulling all the while never misses a change,
however the writers' transactions start and commit (umcr/sync/sequence.py says why)."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from calls import services as call_services
from calls.choices import EventKind
from calls.models import Note, StatusEvent
from tests.sync.helpers import (
    SYNC_DB,
    migration_data,  # noqa: F401  (a fixture)
    pull,
    pull_body,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)

# No step of these tests waits longer than this; a thread left waiting gives up and rolls back.
WAIT = 10.0


class Writer(threading.Thread):
    """Writes in one transaction on its own database connection, then holds the transaction
    open until `release` is set. `write(n)` makes the n-th record's service call."""

    def __init__(self, name: str, write, release: threading.Event, before_write=None):
        super().__init__(name=name, daemon=True)
        self.write = write
        self.release = release
        self.before_write = before_write
        self.began = threading.Event()
        self.written = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                if self.before_write is not None:
                    self.before_write()
                self.began.set()
                self.write()
                self.written.set()
                if not self.release.wait(WAIT):
                    raise TimeoutError(f"{self.name} was never released")
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            self.error = exc
        finally:
            self.began.set()
            connection.close()


def note_writer(pair, body: str, note_id: uuid.UUID):
    def write():
        call_services.add_note(
            call=pair.call,
            responder=pair.first.responder,
            device=None,
            body=body,
            written_at=timezone.now() - timedelta(minutes=1),
            note_id=note_id,
        )

    return write


class PullLog:
    """A phone pulling from each cursor it is given; remembers what each pull covered."""

    def __init__(self, phone):
        self.phone = phone
        self.cursor = None
        self.pulls: list[tuple[int | None, int, set[str]]] = []

    def pull(self) -> set[str]:
        body = pull_body(self.phone.client, self.cursor)
        notes = set(records_of(body, "notes"))
        self.pulls.append((self.cursor, body["timestamp"], notes))
        self.cursor = body["timestamp"]
        return notes

    def seen(self) -> set[str]:
        return {i for _, _, ids in self.pulls for i in ids}

    def pull_until(self, wanted: set[str]) -> None:
        deadline = time.monotonic() + WAIT
        while not wanted <= self.seen() and time.monotonic() < deadline:
            self.pull()
            time.sleep(0.02)

    def assert_nothing_skipped(self) -> None:
        """Each pull listed every note committed with a sequence number in its range."""
        seqs = {str(pk): seq for pk, seq in Note.objects.values_list("pk", "sync_seq")}
        for low, high, listed in self.pulls:
            covered = {i for i, s in seqs.items() if (low is None or s > low) and s <= high}
            assert covered <= listed, f"pull ({low}, {high}] skipped {covered - listed}"


def finish(*writers: Writer) -> None:
    for writer in writers:
        writer.release.set()
    for writer in writers:
        writer.join(WAIT)
    assert not any(w.is_alive() for w in writers), "a writer thread hung"
    assert [w.error for w in writers] == [None] * len(writers)


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_pull_never_skips_notes_committed_in_the_opposite_order_to_their_start():
    pair = team_pair()
    log = PullLog(pair.first)
    log.pull()
    a_id, b_id = uuid.uuid4(), uuid.uuid4()
    a = Writer("A", note_writer(pair, "A: started first", a_id), threading.Event())
    b = Writer("B", note_writer(pair, "B: started second", b_id), threading.Event())
    try:
        a.start()
        assert a.written.wait(WAIT)
        # A's note is written, not committed: a pull neither lists it nor moves past it.
        assert str(a_id) not in log.pull()
        b.start()
        assert b.began.wait(WAIT)
        # B tries to write (on this design it waits for A's hold on the counter).
        b.written.wait(0.3)
        assert log.pull().isdisjoint({str(a_id), str(b_id)})
        open_pulls = list(log.pulls)
        # Released in the opposite order to the one they started in: B, then A.
        b.release.set()
        b.written.wait(0.3)
        log.pull()
        a.release.set()
        log.pull_until({str(a_id), str(b_id)})
    finally:
        finish(a, b)
    log.pull()

    assert {str(a_id), str(b_id)} <= log.seen()
    log.assert_nothing_skipped()
    a_seq = Note.objects.get(pk=a_id).sync_seq
    assert all(high < a_seq for _, high, _ in open_pulls)
    # Pulling again from every cursor handed out still yields each note above it.
    for _, high, _ in log.pulls:
        again = set(records_of(pull_body(pair.first.client, high), "notes"))
        above = set(Note.objects.filter(sync_seq__gt=high).values_list("pk", flat=True).iterator())
        assert {str(pk) for pk in above} == again


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_transaction_that_began_first_and_committed_last_is_still_pulled():
    pair = team_pair()
    log = PullLog(pair.first)
    log.pull()
    late_id, early_id = uuid.uuid4(), uuid.uuid4()
    go, reading = threading.Event(), threading.Event()

    def wait_for_go():
        # The transaction has begun (it has read the call's notes) before the other writes.
        list(Note.objects.filter(call=pair.call))
        reading.set()
        if not go.wait(WAIT):
            raise TimeoutError("never told to go")

    late = Writer("late", note_writer(pair, "Began first", late_id), threading.Event(), wait_for_go)
    late.release.set()
    try:
        late.start()
        assert reading.wait(WAIT)
        note_writer(pair, "Began second, committed first", early_id)()
        assert log.pull() == {str(early_id)}
        go.set()
        log.pull_until({str(late_id)})
    finally:
        go.set()
        finish(late)

    assert log.seen() == {str(early_id), str(late_id)}
    assert Note.objects.get(pk=late_id).sync_seq > Note.objects.get(pk=early_id).sync_seq
    log.assert_nothing_skipped()


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_pull_sees_a_writing_transaction_whole_or_not_at_all():
    pair = team_pair()
    log = PullLog(pair.first)
    log.pull()
    note_ids = [uuid.uuid4() for _ in range(3)]
    event_id = uuid.uuid4()

    def write_a_shift():
        for n, note_id in enumerate(note_ids):
            note_writer(pair, f"Note {n}", note_id)()
        call_services.record_status_event(
            call=pair.call,
            responder=pair.first.responder,
            device=None,
            kind=EventKind.ON_SCENE,
            occurred_at=timezone.now() - timedelta(minutes=2),
            event_id=event_id,
        )

    writer = Writer("shift", write_a_shift, threading.Event())
    try:
        writer.start()
        assert writer.written.wait(WAIT)
        during = pull_body(pair.first.client, log.cursor)
        writer.release.set()
        writer.join(WAIT)
        after = pull_body(pair.first.client, log.cursor)
    finally:
        finish(writer)

    assert records_of(during, "notes") == {}
    assert records_of(during, "status_events") == {}
    assert records_of(during, "calls") == {}
    assert set(records_of(after, "notes")) == {str(i) for i in note_ids}
    assert set(records_of(after, "status_events")) == {str(event_id)}
    assert records_of(after, "calls")[str(pair.call.pk)]["status"] == "on_scene"
    assert StatusEvent.objects.get(pk=event_id).sync_seq <= after["timestamp"]
    assert during["timestamp"] < min(Note.objects.values_list("sync_seq", flat=True))


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_pull_inside_a_callers_transaction_answers():
    pair = team_pair()
    pair.first.client.raise_request_exception = False
    answer: dict = {}

    def pull_in_a_transaction():
        # On a connection of its own, which the failure cannot leave broken for the others.
        try:
            with transaction.atomic():
                Note.objects.exists()
                answer["status"] = pull(pair.first.client, None).status_code
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            answer["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=pull_in_a_transaction, daemon=True)
    thread.start()
    thread.join(WAIT)

    assert not thread.is_alive()
    assert answer == {"status": 200}
