"""The change sequence that pull cursors are made of.

Why a counter row, not a clock and not PostgreSQL transaction ids: clocks of phones and
servers disagree, and a transaction that started earlier may commit later, so "changed after
T" misses rows. Here every transaction that writes a synced row first bumps one counter row
and holds its row lock until it commits; so sequence numbers are handed out in commit
order, and a reader that sees the counter at N sees every row stamped <= N. (The xid +
snapshot-xmin approach gives the same guarantee without serialising writers, but it is
PostgreSQL-only and the embedded mode runs on SQLite; this program's write rate - a few
per second city-wide - is far below what one counter row serialises.)

Rule for services: take the counter (`hold()`) before locking any synced row with
select_for_update, so locks are always taken in the same order and cannot deadlock.
"""

from django.db import connection, transaction

COUNTER_TABLE = "umcr_synccounter"


def claim(count: int = 1) -> int:
    """Reserve `count` sequence numbers in the current transaction; returns the last one.
    Must run inside a transaction that also writes the stamped rows."""
    if not connection.in_atomic_block:
        raise RuntimeError("Sequence numbers are claimed inside the writing transaction.")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {COUNTER_TABLE} SET value = value + %s WHERE id = 1 RETURNING value",
            [count],
        )
        row = cursor.fetchone()
    if row is None:
        # The row went with a `flush`; with it went every synced row, so start again.
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {COUNTER_TABLE} (id, value) VALUES (1, %s)", [count])
        return count
    return row[0]


def hold() -> None:
    """Take the counter's lock without using a number (before select_for_update)."""
    claim(0)


def current() -> int:
    """The last sequence number of a committed transaction, as this snapshot sees it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {COUNTER_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def atomic_claim():
    """A transaction to claim in, joining the caller's if there is one."""
    return transaction.atomic(savepoint=False)
