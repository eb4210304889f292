"""Benchmark of the offline sync on PostgreSQL, against a plain-psycopg baseline.

    python bench/sync.py [--calls 100000] [--repeat 5]

Seeds (idempotently) `seed_demo --calls N` into the `umcr_bench` database (override with
DATABASE_URL) and prints, for the demo clinician alcott.clinician1's team:
- the first pull of the team's scope: records, bytes, median ms;
- the same rows fetched with a plain psycopg SELECT (the engine's own SQL) and
  `json.dumps`, median ms, and the ratio of the two (goal: first pull <= 1.5x);
- an empty incremental pull: median ms (goal: under 10 ms), when nothing was written since
  the cursor and when other teams wrote (so every table is queried);
- a push of 500 notes: median ms;
- the cost of the access log: the first pull and an incremental pull of one changed note,
  with the audit on and off, runs interleaved so the machine's load hits both alike
  (goal: first pull at most 15% slower; empty pull under 10 ms either way).
"""

import argparse
import json
import time
import uuid

from common import machine, setup, signed_in_client, summarise, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--audit-only", action="store_true", help="Only the access log's cost (on and off)."
    )
    args = parser.parse_args()
    setup(args.calls)

    from django.db import connection
    from django.utils.timezone import now as django_now

    from calls.models import Call
    from responders.models import Responder
    from umcr.sync.registry import tables

    client = signed_in_client("alcott.clinician1")
    responder = Responder.objects.get(user__username="alcott.clinician1")

    first_url = "/api/v1/sync/pull/?last_pulled_at=null&schema_version=1"
    if args.audit_only:
        print(f"\n{machine()}; {Call.objects.count()} calls in all")
        audit_cost(client, first_url, args.repeat)
        return
    response = client.get(first_url)
    body = json.loads(response.content)
    records = sum(len(t["created"]) for t in body["changes"].values())
    size = len(response.content)
    cursor = body["timestamp"]
    first = summarise(timed(lambda: client.get(first_url), args.repeat, warmup=1))

    # The baseline: the very SQL the engine runs, through psycopg, then json.dumps.
    statements = []
    for table in tables():
        qs = table.model.objects.filter(table.audience(responder)).values_list(*table.paths())
        statements.append(qs.query.sql_with_params())
    raw = connection.connection  # psycopg's own connection

    def plain():
        out = {}
        with raw.cursor() as cur:
            for (sql, params), table in zip(statements, tables(), strict=True):
                cur.execute(sql, params)
                names = [c.name for c in cur.description]
                out[table.name] = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        return json.dumps(out, default=str)

    baseline_rows = sum(len(v) for v in json.loads(plain()).values())
    baseline = summarise(timed(plain, args.repeat, warmup=1))

    empty_url = f"/api/v1/sync/pull/?last_pulled_at={cursor}&schema_version=1"
    assert client.get(empty_url).status_code == 200
    empty = summarise(timed(lambda: client.get(empty_url), max(args.repeat, 50)))

    # The same pull when other teams have written since (the counter moved): every table
    # is looked at, and nothing is in this team's scope.
    from calls.services import add_note
    from responders.models import Team

    other_team = Team.objects.exclude(pk=responder.team_id).first()
    other_call = Call.objects.filter(team=other_team).order_by("-received_at").first()
    writer = Responder.objects.filter(team=other_team).first()
    add_note(
        call=other_call,
        responder=writer,
        device=None,
        body="elsewhere",
        written_at=django_now(),
        note_id=uuid.uuid4(),
    )
    busy = summarise(timed(lambda: client.get(empty_url), max(args.repeat, 50)))

    call = Call.objects.filter(team=responder.team).order_by("-received_at").first()
    pushes = []
    for _ in range(args.repeat):
        now = int(time.time() * 1000)
        notes = [
            {
                "id": str(uuid.uuid4()),
                "call_id": str(call.pk),
                "body": f"note {i}",
                "written_at": now,
            }
            for i in range(500)
        ]
        payload = {"changes": {"notes": {"created": notes, "updated": [], "deleted": []}}}
        started = time.perf_counter()
        pushed = client.post(f"/api/v1/sync/push/?last_pulled_at={cursor}", payload, format="json")
        pushes.append(time.perf_counter() - started)
        assert pushed.status_code == 200 and pushed.json()["applied"] == 500, pushed.content[:300]
    push = summarise(pushes)

    print(f"\n{machine()}; {Call.objects.count()} calls in all")
    print(f"first pull of ALCOTT-1's scope: {records} records, {size} bytes")
    print(f"  first pull              median {first[0]:8.1f} ms  p95 {first[1]:8.1f} ms")
    print(
        f"  psycopg + json.dumps    median {baseline[0]:8.1f} ms  ({baseline_rows} rows)"
        f"  -> ratio {first[0] / baseline[0]:.2f}x (goal <= 1.5x)"
    )
    print(
        f"empty incremental pull    median {empty[0]:8.1f} ms  p95 {empty[1]:8.1f} ms (goal < 10 ms)"
    )
    print(
        f"  ... after other teams wrote median {busy[0]:8.1f} ms  p95 {busy[1]:8.1f} ms"
        " (every table looked at, nothing in scope)"
    )
    print(f"push of 500 notes         median {push[0]:8.1f} ms  p95 {push[1]:8.1f} ms")

    audit_cost(client, first_url, args.repeat)
    push_cost(client, responder, cursor, args.repeat)


def audit_cost(client, first_url: str, repeat: int) -> None:
    """The pull with the access log on and off (its noting replaced by nothing, so no row
    is written), interleaved run by run."""
    from unittest import mock

    from umcr.models import AccessLog

    def off():
        return mock.patch("umcr.sync.views.note_pulled", lambda *args, **kwargs: None)

    def paired(url: str, runs: int) -> tuple[list[float], list[float]]:
        on_samples, off_samples = [], []
        for _ in range(runs):
            on_samples += timed(lambda: client.get(url), 1, warmup=0)
            with off():
                off_samples += timed(lambda: client.get(url), 1, warmup=0)
        return on_samples, off_samples

    before = AccessLog.objects.count()
    body = json.loads(client.get(first_url).content)
    rows = AccessLog.objects.count() - before
    ids = sum(len(row.record_ids) for row in AccessLog.objects.order_by("-pk")[:rows])
    records = sum(len(t["created"]) + len(t["updated"]) for t in body["changes"].values())
    first_on, first_off = (summarise(s) for s in paired(first_url, max(repeat, 5)))
    empty_url = f"/api/v1/sync/pull/?last_pulled_at={body['timestamp']}&schema_version=1"
    empty_on, empty_off = (summarise(s) for s in paired(empty_url, max(repeat, 50)))
    print(f"access log of a first pull: {ids} ids of {records} records, {rows} rows, one insert")
    print(
        f"  first pull  audit on  median {first_on[0]:8.1f} ms   off {first_off[0]:8.1f} ms"
        f"  -> {100 * (first_on[0] / first_off[0] - 1):+.1f}% (goal <= +15%)"
    )
    print(
        f"  empty pull  audit on  median {empty_on[0]:8.1f} ms   off {empty_off[0]:8.1f} ms"
        " (goal < 10 ms)"
    )


PUSH_SIZES = (50, 500, 5_000)


def push_cost(client, responder, cursor: int, repeat: int) -> None:
    """A push of 50, 500 and 5,000 new notes on one of the team's calls, as a phone sends
    them after a shift offline: median ms and ms per note (goal: 500 notes under 400 ms,
    the cost per note flat from 50 to 5,000), and per note beyond an empty push's cost
    (the request, the token, the limits). Each size runs `repeat` times after one warm-up,
    each push a new batch of new ids; the records-per-minute limit is raised for
    the run (a bench pushes more in a minute than any phone may)."""
    from django.conf import settings

    from calls.models import Call

    settings.SYNC_PUSH_RECORDS_PER_MINUTE = 10**9
    call = Call.objects.filter(team=responder.team).order_by("-received_at").first()
    url = f"/api/v1/sync/push/?last_pulled_at={cursor}"

    def one_push(size: int) -> float:
        now = int(time.time() * 1000)
        notes = [
            {
                "id": str(uuid.uuid4()),
                "call_id": str(call.pk),
                "body": f"note {i}",
                "written_at": now,
            }
            for i in range(size)
        ]
        payload = {"changes": {"notes": {"created": notes, "updated": [], "deleted": []}}}
        started = time.perf_counter()
        pushed = client.post(url, payload, format="json")
        elapsed = time.perf_counter() - started
        assert pushed.status_code == 200 and pushed.json()["applied"] == size, pushed.content[:300]
        return elapsed

    def empty_push() -> float:
        started = time.perf_counter()
        pushed = client.post(url, {"changes": {}}, format="json")
        assert pushed.status_code == 200, pushed.content[:300]
        return time.perf_counter() - started

    empty_push()
    fixed, _ = summarise([empty_push() for _ in range(max(repeat, 10))])
    print(f"push of new notes on one call (one batch each; an empty push {fixed:.1f} ms):")
    for size in PUSH_SIZES:
        one_push(size)
        median, p95 = summarise([one_push(size) for _ in range(repeat)])
        print(
            f"  {size:5d} notes  median {median:8.1f} ms  p95 {p95:8.1f} ms"
            f"  -> {median / size:.3f} ms a note"
            f" ({(median - fixed) / size:.3f} beyond the empty push)"
        )


def push_only(calls: int = 2_000, repeat: int = 5) -> None:
    """Only the push figures: `python -c "import sys; sys.path.insert(0, 'bench');
    import sync; sync.push_only()"` (seeds --calls `calls` first, idempotently)."""
    setup(calls)
    from responders.models import Responder
    from umcr.sync import sequence

    client = signed_in_client("alcott.clinician1")
    responder = Responder.objects.get(user__username="alcott.clinician1")
    print(machine())
    push_cost(client, responder, sequence.current(), repeat)


if __name__ == "__main__":
    main()
