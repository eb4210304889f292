"""A status event is checked and derived from the call's stored state and a few indexed
lookups (calls.services.check_new_event, apply_new_event), not from its whole timeline: the
same answers as the full rules (check_timeline, derive_call_state), at a cost that does not
grow with the call's events (issue 13)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls import services
from calls.choices import Disposition, EventKind
from calls.models import Call, StatusEvent
from tests.factories import CallFactory, ClinicianFactory, DispatcherFactory, OutcomeFactory
from umcr.errors import Conflict

pytestmark = pytest.mark.django_db

TEAM_KINDS = [
    EventKind.ACKNOWLEDGED,
    EventKind.EN_ROUTE,
    EventKind.ON_SCENE,
    EventKind.TRANSPORTING,
    EventKind.CLEARED,
]
STEPS = st.lists(
    st.tuples(
        st.sampled_from([*TEAM_KINDS, EventKind.DISPATCHED, EventKind.CANCELLED]),
        st.integers(min_value=1, max_value=120),
    ),
    min_size=1,
    max_size=8,
)


def full_answer(call: Call, kind: str, occurred_at) -> str | None:
    """What check_timeline says of the call's stored events plus this one: a code or None."""
    events = [
        *StatusEvent.objects.filter(call=call),
        StatusEvent(kind=kind, occurred_at=occurred_at),
    ]
    try:
        services.check_timeline(events=events, outcome=services.current_outcome(call))
    except Conflict as exc:
        return exc.code
    return None


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, gone=st.booleans(), with_outcome=st.booleans())
def test_incremental_rules_agree_with_the_full_timeline(steps, gone, with_outcome):
    clinician = ClinicianFactory()
    desk = DispatcherFactory()
    call = CallFactory(team=clinician.team)
    if with_outcome:
        disposition = Disposition.GONE_ON_ARRIVAL if gone else Disposition.RESOLVED_ON_SCENE
        OutcomeFactory(call=call, disposition=disposition)
    now = timezone.now()
    for kind, minutes_ago in steps:
        occurred_at = now - timedelta(minutes=minutes_ago)
        call = Call.objects.get(pk=call.pk)
        expected = full_answer(call, kind, occurred_at)
        author = desk if kind in (EventKind.DISPATCHED, EventKind.CANCELLED) else clinician
        try:
            services.record_status_event(
                call=call,
                responder=author,
                device=None,
                kind=kind,
                occurred_at=occurred_at,
                event_id=uuid.uuid4(),
            )
            answer = None
        except Conflict as exc:
            answer = exc.code
        assert answer == expected, (kind, minutes_ago, steps)
        stored = Call.objects.get(pk=call.pk)
        derived = services.derive_call_state(StatusEvent.objects.filter(call=call))
        assert stored.status == derived.status
        assert {f: getattr(stored, f) for f in derived.timestamps} == derived.timestamps


@pytest.mark.parametrize("events", [10, 2000])
def test_writing_an_event_costs_the_same_queries_at_10_and_at_2000_events(
    events, django_assert_num_queries
):
    clinician = ClinicianFactory()
    call = CallFactory(team=clinician.team)
    start = timezone.now() - timedelta(days=1)
    StatusEvent.objects.bulk_create(
        StatusEvent(call=call, kind=EventKind.EN_ROUTE, occurred_at=start + timedelta(seconds=n))
        for n in range(events)
    )
    services.refresh_call_state(call=call)
    call = Call.objects.get(pk=call.pk)

    # A savepoint and its release; the counter held and the call locked; the replay lookup;
    # the current outcome; a sequence number and the insert; the latest dispatch and the
    # latest answer; a sequence number and the call's derived fields.
    with django_assert_num_queries(12):
        services.record_status_event(
            call=call,
            responder=clinician,
            device=None,
            kind=EventKind.ON_SCENE,
            occurred_at=timezone.now(),
            event_id=uuid.uuid4(),
        )

    assert Call.objects.get(pk=call.pk).status == "on_scene"
