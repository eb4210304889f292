"""Benchmark: the cost of writing a status event as a call's timeline grows.

    python bench/events.py [--repeat 30]

In the `umcr_bench` database (override with DATABASE_URL): for calls holding 10, 1,000 and
10,000 events, the median and p95 of record_status_event (a phone's `en_route`), through
the service. Goal: the same at 10 and at 10,000 events.
"""

import argparse
import uuid
from datetime import timedelta

from common import machine, setup, summarise, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup(300)

    from django.utils import timezone

    from calls import services
    from calls.choices import EventKind
    from calls.models import Call, StatusEvent
    from calls.selectors import open_filter
    from responders.models import Responder

    clinician = Responder.objects.get(user__username="alcott.clinician1")
    template = Call.objects.filter(open_filter(True), team=clinician.team).first()
    print(machine())
    for size in (10, 1_000, 10_000):
        call = Call.objects.get(pk=template.pk)
        call.pk = None
        call.id = uuid.uuid4()
        call.cad_incident_number = f"BENCH-{uuid.uuid4().hex[:12]}"
        call.save()
        start = timezone.now() - timedelta(days=2)
        StatusEvent.objects.bulk_create(
            StatusEvent(
                call=call, kind=EventKind.ACKNOWLEDGED, occurred_at=start + timedelta(seconds=n)
            )
            for n in range(size)
        )
        services.refresh_call_state(call=call)

        def write(call=call):
            services.record_status_event(
                call=Call.objects.get(pk=call.pk),
                responder=clinician,
                device=None,
                kind=EventKind.EN_ROUTE,
                occurred_at=timezone.now() - timedelta(seconds=1),
                event_id=uuid.uuid4(),
            )

        median, p95 = summarise(timed(write, args.repeat))
        print(f"{size:>6} events on the call: median {median:6.2f} ms  p95 {p95:6.2f} ms")


if __name__ == "__main__":
    main()
