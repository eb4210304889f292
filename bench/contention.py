"""Benchmark: a police-backup request while another phone pushes the largest batch allowed.

    python bench/contention.py [--calls 300] [--requests 40]

Seeds (idempotently) the demo into the `umcr_bench` database (override with DATABASE_URL).
Phones of two other providers post backup requests one after another, first on an idle
server, then while alcott.clinician1's phone pushes MAX_PUSH_RECORDS notes in one push.
Prints the backup request's median and p95 in both cases and their ratio (goal: p95 under
load within 2x of idle), and how long the push took.
"""

import argparse
import os
import threading
import time
import uuid

# The nudge after each request goes to the broker (the ORM queue), as in a deployment,
# instead of running the delivery loop inside the request.
os.environ.setdefault("Q_SYNC", "0")

from common import machine, setup, signed_in_client, summarise  # noqa: E402


def backup_samples(clients, requests: int, stop: threading.Event | None = None) -> list[float]:
    """Backup requests from each client in turn on its open call; seconds each."""
    from django.utils import timezone

    samples = []
    for n in range(requests):
        if stop is not None and stop.is_set():
            break
        client, call_id = clients[n % len(clients)]
        body = {
            "id": str(uuid.uuid4()),
            "reason": "weapon_seen",
            "details": "bench",
            "occurred_at": timezone.now().isoformat(),
        }
        started = time.perf_counter()
        response = client.post(f"/api/v1/calls/{call_id}/backup-requests/", body, format="json")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content
    return samples


def open_call_of(username: str) -> str:
    from calls.models import Call
    from calls.selectors import open_filter
    from responders.models import Responder

    team = Responder.objects.get(user__username=username).team
    return str(Call.objects.filter(open_filter(True), team=team).values_list("pk", flat=True)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    setup(args.calls)

    from django.db import connection
    from django.utils import timezone

    from umcr.sync.push import MAX_PUSH_RECORDS

    askers = [
        (signed_in_client(name), open_call_of(name))
        for name in ("pennylane.clinician1", "exodus.clinician1")
    ]
    pusher = signed_in_client("alcott.clinician1")
    call_id = open_call_of("alcott.clinician1")
    cursor = pusher.get("/api/v1/sync/pull/?last_pulled_at=null&schema_version=1").json()
    written = int(timezone.now().timestamp() * 1000) - 60_000
    notes = [
        {
            "id": str(uuid.uuid4()),
            "call_id": call_id,
            "body": f"Bench note {n}.",
            "written_at": written,
            "amends_id": None,
        }
        for n in range(MAX_PUSH_RECORDS)
    ]

    idle = backup_samples(askers, args.requests)

    pushed: dict = {}
    done = threading.Event()

    def push() -> None:
        started = time.perf_counter()
        try:
            response = pusher.post(
                f"/api/v1/sync/push/?last_pulled_at={cursor['timestamp']}",
                {"changes": {"notes": {"created": notes, "updated": [], "deleted": []}}},
                format="json",
            )
            pushed["status"] = response.status_code
        finally:
            pushed["seconds"] = time.perf_counter() - started
            connection.close()
            done.set()

    thread = threading.Thread(target=push)
    thread.start()
    time.sleep(0.5)  # the push is under way
    loaded = backup_samples(askers, args.requests, stop=done)
    thread.join()

    idle_median, idle_p95 = summarise(idle)
    load_median, load_p95 = summarise(loaded)
    print(machine())
    print(
        f"push of {MAX_PUSH_RECORDS} notes: {pushed['seconds']:.1f} s (status {pushed['status']})"
    )
    print(f"backup request, idle:        median {idle_median:6.1f} ms  p95 {idle_p95:6.1f} ms")
    print(
        f"backup request, during push: median {load_median:6.1f} ms  p95 {load_p95:6.1f} ms "
        f"({len(loaded)} requests while the push ran)"
    )
    print(f"p95 under load / idle: {load_p95 / idle_p95:.2f}x (goal: at most 2x)")


if __name__ == "__main__":
    main()
