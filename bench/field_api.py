"""Benchmark of the field API, in-process through DRF's test client on PostgreSQL.

    python bench/field_api.py [--calls 100000] [--repeat 50]

Seeds (idempotently) `seed_demo --calls N` into the `umcr_bench` database (override with
DATABASE_URL), then prints the median and p95 time and the query count of the calls list
(first page and a later page) and of a call's detail for a demo clinician.
"""

import argparse

from common import machine, measure, setup, signed_in_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    setup(args.calls)

    from calls.models import Call

    client = signed_in_client("alcott.clinician1")
    team_calls = Call.objects.filter(team__call_sign="ALCOTT-1")
    first = client.get("/api/v1/calls/").json()
    later = client.get(first["next"]).json()["next"]
    # The detail with the most history: a call whose person has the most earlier calls.
    busy = (
        team_calls.filter(person__isnull=False)
        .order_by("-person__calls__received_at")
        .values_list("pk", flat=True)
        .first()
    )
    cases = [
        ("GET /api/v1/calls/ (first page)", "/api/v1/calls/"),
        ("GET /api/v1/calls/ (third page)", later),
        ("GET /api/v1/calls/?state=open", "/api/v1/calls/?state=open"),
        ("GET /api/v1/calls/{id}/", f"/api/v1/calls/{busy}/"),
    ]
    print(f"\n{machine()}; {Call.objects.count()} calls, {team_calls.count()} for ALCOTT-1")
    print(f"{'endpoint':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'bytes':>8}")
    for label, url in cases:
        median, p95, queries, size = measure(client, url, args.repeat)
        print(f"{label:40} {median:10.1f} {p95:8.1f} {queries:8d} {size:8d}")


if __name__ == "__main__":
    main()
