"""Benchmark of the offline sync on PostgreSQL, against a plain-psycopg baseline.

    python bench/sync.py [--calls 100000] [--repeat 5]

Seeds (idempotently) `seed_demo --calls N` into the `umcr_bench` database (override with
DATABASE_URL) and prints, for the demo clinician alcott.clinician1's team:
- the first pull with the sync window (every page, as an app loops on has_more): records,
  pages, bytes and bytes gzipped, median ms; its first page alone (the open calls first,
  goal < 50 KB gzipped); the whole history (SYNC_WINDOW_DAYS=0) for comparison;
- the same rows read with a plain psycopg SELECT (the engine's own SQL, unpaged) and
  orjson, median ms, and the ratio of the two (goal: first pull <= 1.3x); and the pull's own
  reads of every page replayed the same way (what the engine's code adds to its queries);
- the peak memory growth of a gunicorn worker serving a first sync over HTTP, window on and
  off (a fresh worker per figure: peak reset after a warm-up, read from /proc/PID/status
  VmHWM);
- an empty incremental pull: median ms (goal: under 10 ms), when nothing was written since
  the cursor and when other teams wrote (so every table is queried); and one after a note on
  the team's call (what a phone pays each time its team writes);
- a push of 500 notes: median ms;
- the cost of the access log: the first pull and an incremental pull of one changed note,
  with the audit on and off, runs interleaved so the machine's load hits both alike
  (goal: first pull at most 15% slower; empty pull under 10 ms either way).
"""

import argparse
import gzip
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
from common import ROOT, machine, setup, signed_in_client, summarise, timed


def schema() -> int:
    """The server's sync schema: the pulls read every table a current app reads."""
    from umcr.sync.registry import SCHEMA_VERSION

    return SCHEMA_VERSION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--audit-only", action="store_true", help="Only the access log's cost (on and off)."
    )
    parser.add_argument(
        "--memory-only", action="store_true", help="Only the worker's peak memory growth."
    )
    args = parser.parse_args()
    setup(args.calls)
    if args.memory_only:
        print_memory()
        return

    import umcr.wsgi  # noqa: F401  (as a worker starts: views loaded, then gc.freeze())
    from calls.models import Call
    from responders.models import Responder

    client = signed_in_client("alcott.clinician1")
    responder = Responder.objects.get(user__username="alcott.clinician1")

    first_url = f"/api/v1/sync/pull/?last_pulled_at=null&schema_version={schema()}"
    if args.audit_only:
        print(f"\n{machine()}; {Call.objects.count()} calls in all")
        audit_cost(client, first_url, args.repeat)
        return
    pull_figures = first_pull_figures(client, responder, args.repeat)
    cursor = pull_figures["cursor"]

    empty_url = f"/api/v1/sync/pull/?last_pulled_at={cursor}&schema_version={schema()}"
    assert client.get(empty_url).status_code == 200
    empty = summarise(timed(lambda: client.get(empty_url), max(args.repeat, 50)))

    # The same pull when other teams have written since (the counter moved): every table
    # is looked at, and nothing is in this team's scope.
    from responders.models import Team

    other_team = Team.objects.exclude(pk=responder.team_id).first()
    other_call = Call.objects.filter(team=other_team).order_by("-received_at").first()
    writer = Responder.objects.filter(team=other_team).first()
    write_note(other_call, writer, "elsewhere")
    busy = summarise(timed(lambda: client.get(empty_url), max(args.repeat, 50)))
    changed = one_change_pulls(client, responder, cursor, args.repeat)

    call = push_call(responder)
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
    print_pull_figures(pull_figures)
    print_memory()
    print(
        f"empty incremental pull    median {empty[0]:8.1f} ms  p95 {empty[1]:8.1f} ms (goal < 10 ms)"
    )
    print(
        f"  ... after other teams wrote median {busy[0]:8.1f} ms  p95 {busy[1]:8.1f} ms"
        " (every table looked at, nothing in scope)"
    )
    print(
        f"  ... after a note on the team's call median {changed[0]:8.1f} ms  p95 "
        f"{changed[1]:8.1f} ms (what a phone pays each time its team writes)"
    )
    print(f"push of 500 notes         median {push[0]:8.1f} ms  p95 {push[1]:8.1f} ms")

    audit_cost(client, first_url, args.repeat)
    push_cost(client, responder, cursor, args.repeat)


# --- pull: the window, the first page, memory, the practical limit ------------------------


def pull_pages(client, limit: int | None = None):
    """A first sync as an app runs it: pull from null, then on while `has_more`; yields
    each page's (bytes, body)."""
    cursor = "null"
    while True:
        url = f"/api/v1/sync/pull/?last_pulled_at={cursor}&schema_version={schema()}"
        if limit:
            url += f"&limit={limit}"
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = orjson.loads(response.content)
        yield response.content, body
        cursor = body["timestamp"]
        if not body["has_more"]:
            return


def pull_all(client, limit: int | None = None) -> list[tuple[bytes, dict]]:
    return list(pull_pages(client, limit))


def count_records(body: dict) -> int:
    return sum(len(t["created"]) + len(t["updated"]) for t in body["changes"].values())


def sizes(pages: list[tuple[bytes, dict]]) -> dict:
    return {
        "pages": len(pages),
        "records": sum(count_records(body) for _, body in pages),
        "bytes": sum(len(content) for content, _ in pages),
        "gzipped": sum(len(gzip.compress(content, 6)) for content, _ in pages),
    }


def windowed_first_sync_sql(responder) -> list[tuple[str, str, tuple]]:
    """The SQL of a first sync's rows, one statement per table, unpaged: (table, sql,
    params) - what the engine reads, for the plain psycopg baseline."""
    from umcr.sync import sequence, window
    from umcr.sync.pull import _view
    from umcr.sync.registry import tables

    start = window.current_start()
    w = window.for_pull(None, [], start)
    now = sequence.current()
    statements = []
    for table in tables():
        view = _view(table, responder, w, now)
        qs = table.select(view.rows.filter(view.inside), "postgresql")
        sql, params = qs.query.sql_with_params()
        statements.append((table.name, sql, params))
    return statements


def through_psycopg(statements) -> list[list[dict]]:
    """`(sql, params)` read through psycopg in one snapshot with no JIT compilation, as the
    engine's snapshot reads (umcr/sync/pull.py): each row a dict by column name."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    out = []
    with raw.transaction():
        raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        raw.execute("SET LOCAL jit = off")
        with raw.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                if cur.description:
                    names = [column.name for column in cur.description]
                    out.append([dict(zip(names, row, strict=False)) for row in cur.fetchall()])
    return out


def plain_first_sync(statements) -> bytes:
    """The practical limit: the same SQL through psycopg, rows to dicts, orjson."""
    rows = through_psycopg([(sql, params) for _, sql, params in statements])
    names = [name for name, _, _ in statements]
    return orjson.dumps(dict(zip(names, rows, strict=True)), default=str)


def pull_statements(client) -> list[tuple[str, object]]:
    """The reads of one whole first pull (every page), as the engine sent them."""
    from django.db import connection

    seen = []

    def keep(execute, sql, params, many, context):
        if sql.lstrip().startswith(("SELECT", "(SELECT")):
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        pull_all(client)
    return seen


def replayed(statements) -> bytes:
    """Those reads again through psycopg, rows to dicts, orjson: what the engine's own
    code adds over the database work its paging asks for."""
    return orjson.dumps(through_psycopg(statements), default=str)


def first_pull_figures(client, responder, repeat: int) -> dict:
    """The first sync with the window (all pages), its first page alone, the whole history
    (window off) for comparison, and the psycopg + orjson baseline over the same SQL."""
    from django.test import override_settings

    pages = pull_all(client)
    figures = {"window": sizes(pages), "first_page": sizes(pages[:1])}
    figures["cursor"] = pages[-1][1]["timestamp"]
    figures["window_ms"] = summarise(timed(lambda: pull_all(client), repeat, warmup=1))
    statements = windowed_first_sync_sql(responder)
    baseline_rows = sum(len(v) for v in orjson.loads(plain_first_sync(statements)).values())
    figures["plain_rows"] = baseline_rows
    figures["plain_ms"] = summarise(timed(lambda: plain_first_sync(statements), repeat, warmup=1))
    own = pull_statements(client)
    figures["replay_count"] = len(own)
    figures["replay_ms"] = summarise(timed(lambda: replayed(own), repeat, warmup=1))
    with override_settings(SYNC_WINDOW_DAYS=0):
        whole = pull_all(client)
        figures["whole"] = sizes(whole)
        figures["whole_ms"] = summarise(timed(lambda: pull_all(client), max(1, repeat // 2), 0))
    # The window moved twice (off, on): a cursor from before would be sent the history as
    # deleted once (umcr/sync/window.py). The incremental figures start from a cursor after.
    figures["cursor"] = pull_all(client)[-1][1]["timestamp"]
    return figures


def print_pull_figures(f: dict) -> None:
    def line(label: str, s: dict) -> str:
        return (
            f"{label}: {s['records']} records in {s['pages']} page(s), {s['bytes']} bytes, "
            f"{s['gzipped']} gzipped"
        )

    print(line("first pull with the window (30 days)", f["window"]))
    print(f"  median {f['window_ms'][0]:8.1f} ms  p95 {f['window_ms'][1]:8.1f} ms")
    print(line("  its first page (open calls first)", f["first_page"]) + " (goal < 50 KB gzipped)")
    print(line("whole history (SYNC_WINDOW_DAYS=0)", f["whole"]))
    print(f"  median {f['whole_ms'][0]:8.1f} ms")
    print(
        f"psycopg + orjson, same SQL, unpaged  median {f['plain_ms'][0]:8.1f} ms"
        f"  ({f['plain_rows']} rows) -> first pull / baseline "
        f"{f['window_ms'][0] / f['plain_ms'][0]:.2f}x (goal <= 1.3x)"
    )
    print(
        f"  the pull's own {f['replay_count']} reads (all pages) through psycopg + orjson  "
        f"median {f['replay_ms'][0]:8.1f} ms -> first pull / replay "
        f"{f['window_ms'][0] / f['replay_ms'][0]:.2f}x (what the engine's code adds)"
    )


def worker_memory(window_days: int) -> dict:
    """The peak memory growth of a real gunicorn worker (one, sync, as umcr.wsgi starts it)
    serving a phone's first sync, page by page, as an app loops on has_more over HTTP. After
    a warm-up request its peak is reset (/proc/PID/clear_refs, 5), then read after the first
    sync from VmHWM: growth = peak - RSS before. The client is this process: its parsing is
    not counted (an in-process probe counted the test client's copies too)."""
    import os
    import socket
    import urllib.request

    from demo.data import PASSWORD

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SYNC_WINDOW_DAYS": str(window_days),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "umcr.wsgi",
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--no-control-socket",
            "--timeout=600",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"

    def call(path: str, body: dict | None = None, token: str | None = None) -> bytes:
        request = urllib.request.Request(
            base + path,
            data=None if body is None else orjson.dumps(body),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Token {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=600) as answer:
            return answer.read()

    def first_sync(token: str) -> tuple[int, int]:
        """Every page of a first sync, counted from its bytes (a record's "id" key, the
        cursor at the end), never parsed: (records, pages)."""
        records = pages = 0
        cursor = "null"
        while True:
            content = call(
                f"/sync/pull/?last_pulled_at={cursor}&schema_version={schema()}", token=token
            )
            records += content.count(b'"id":')
            pages += 1
            tail = re.search(rb'"timestamp":(\d+),"has_more":(true|false)}$', content)
            assert tail is not None, content[-200:]
            cursor = tail.group(1).decode()
            if tail.group(2) == b"false":
                return records, pages

    try:
        for _ in range(100):
            try:
                login = call(
                    "/auth/login/",
                    {"username": "alcott.clinician1", "password": PASSWORD, "device_name": "probe"},
                )
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        token = orjson.loads(login)["token"]
        # Warm-up: a first page (imports, the URLconf's first use, caches), not a whole sync,
        # whose freed memory the allocator would keep and reuse.
        call(f"/sync/pull/?last_pulled_at=null&schema_version={schema()}", token=token)
        (worker,) = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        before = proc_status(worker, "VmRSS")
        with open(f"/proc/{worker}/clear_refs", "w") as refs:
            refs.write("5")
        records, pages = first_sync(token)
        peak = proc_status(worker, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"growth_kib": peak - before, "records": records, "pages": pages}


def proc_status(pid: str, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def print_memory() -> None:
    for days, label in ((30, "window 30 days"), (0, "whole history")):
        result = worker_memory(days)
        print(
            f"worker peak memory growth, first sync ({label}): "
            f"{result['growth_kib'] / 1024:.1f} MiB for {result['records']} records in "
            f"{result['pages']} pages (goal < 30 MiB)"
        )


def audit_cost(client, first_url: str, repeat: int) -> None:
    """The pull with the access log on and off (its noting replaced by nothing, so no row
    is written), interleaved run by run."""
    from unittest import mock

    from umcr.models import AccessLog

    def off():
        return mock.patch("umcr.sync.views.note_pulled", lambda *args, **kwargs: None)

    def paired(fetch, runs: int) -> tuple[list[float], list[float]]:
        on_samples, off_samples = [], []
        for _ in range(runs):
            on_samples += timed(fetch, 1, warmup=0)
            with off():
                off_samples += timed(fetch, 1, warmup=0)
        return on_samples, off_samples

    # A first sync is every page of it (the first is only the open calls).
    before = AccessLog.objects.count()
    pages = pull_all(client)
    rows = AccessLog.objects.count() - before
    ids = sum(len(row.record_ids) for row in AccessLog.objects.order_by("-pk")[:rows])
    records = sum(count_records(body) for _, body in pages)
    first_on, first_off = (summarise(s) for s in paired(lambda: pull_all(client), repeat))
    empty_url = (
        f"/api/v1/sync/pull/?last_pulled_at={pages[-1][1]['timestamp']}&schema_version={schema()}"
    )
    empty_on, empty_off = (
        summarise(s) for s in paired(lambda: client.get(empty_url), max(repeat, 50))
    )
    print(
        f"access log of a first pull: {ids} ids of {records} records, {rows} rows, "
        f"one insert per page ({len(pages)} pages)"
    )
    print(
        f"  first pull  audit on  median {first_on[0]:8.1f} ms   off {first_off[0]:8.1f} ms"
        f"  -> {100 * (first_on[0] / first_off[0] - 1):+.1f}% (goal <= +15%)"
    )
    print(
        f"  empty pull  audit on  median {empty_on[0]:8.1f} ms   off {empty_off[0]:8.1f} ms"
        " (goal < 10 ms)"
    )


def write_note(call, responder, body: str) -> None:
    """A note written now, through the service a phone's push goes through."""
    from django.utils.timezone import now as django_now

    from calls.services import add_note

    add_note(
        call=call,
        responder=responder,
        device=None,
        body=body,
        written_at=django_now(),
        note_id=uuid.uuid4(),
    )


def one_change_pulls(client, responder, cursor: int, repeat: int) -> tuple[float, float]:
    """An incremental pull after one note on the team's latest closed call (inside the
    window; an open call's notes would grow the first page of later runs), from the cursor
    before it: each run writes its note, then times the pull alone."""
    from calls.choices import CallStatus
    from calls.models import Call
    from umcr.sync import window

    closed = Call.objects.filter(
        team=responder.team, status=CallStatus.CLEARED, received_at__gte=window.current_start()
    )
    call = closed.order_by("-received_at").first()
    assert call is not None, "The bench team has no cleared call inside the window."
    samples = []
    for _ in range(max(repeat, 10)):
        write_note(call, responder, "one change")
        url = f"/api/v1/sync/pull/?last_pulled_at={cursor}&schema_version={schema()}"
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200 and count_records(orjson.loads(response.content)) >= 1
        cursor = orjson.loads(response.content)["timestamp"]
    return summarise(samples)


PUSH_SIZES = (50, 500, 5_000)


def push_call(responder):
    """The call the push figures write notes on: the team's oldest closed call, outside the
    sync window, so the thousands of notes pushed never reach the first page (the open calls)
    or the windowed pull a later figure, or the next run, reads."""
    from calls.models import Call

    team_calls = Call.objects.filter(team=responder.team).order_by("received_at")
    return team_calls.filter(cleared_at__isnull=False).first() or team_calls.first()


def push_cost(client, responder, cursor: int, repeat: int) -> None:
    """A push of 50, 500 and 5,000 new notes on one of the team's calls, as a phone sends
    them after a shift offline: median ms and ms per note (goal: 500 notes under 400 ms,
    the cost per note flat from 50 to 5,000), and per note beyond an empty push's cost
    (the request, the token, the limits). Each size runs `repeat` times after one warm-up,
    each push a new batch of new ids; the records-per-minute limit is raised for
    the run (a bench pushes more in a minute than any phone may)."""
    from django.conf import settings

    settings.SYNC_PUSH_RECORDS_PER_MINUTE = 10**9
    call = push_call(responder)
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
