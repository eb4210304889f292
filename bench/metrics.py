"""Benchmark of the program's figures on PostgreSQL: one year, all providers and one.

    python bench/metrics.py [--calls 100000] [--repeat 5]

Seeds (idempotently) `seed_demo --calls N` into the `umcr_bench` database and prints the
median time and query count of GET /api/v1/metrics/ for a year (goal: under a second).
"""

import argparse

from common import machine, measure, setup, signed_in_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup(args.calls)

    from calls.models import Call

    desk, supervisor = signed_in_client("desk.dispatcher"), signed_in_client("alcott.supervisor")
    cases = [
        ("desk: a year, all providers", desk, "/api/v1/metrics/"),
        ("desk: a year, by month", desk, "/api/v1/metrics/?by=month"),
        ("desk: a year, by provider", desk, "/api/v1/metrics/?by=provider"),
        ("supervisor: a year, own provider, by week", supervisor, "/api/v1/metrics/?by=week"),
        ("desk: a year as CSV, by division", desk, "/api/v1/metrics/?by=division&format=csv"),
    ]
    print(f"\n{machine()}; {Call.objects.count()} calls in all")
    print(f"{'figures':46} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, client, url in cases:
        median, p95, queries, _ = measure(client, url, args.repeat, warmup=1)
        print(f"{label:46} {median:10.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
