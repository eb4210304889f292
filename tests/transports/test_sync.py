"""Transports in sync (issue 15): a van crew records a ride offline - consent, a destination
that refuses on the way, the arrival, the hand-off - and the partner's phone pulls it; the
ride leaves the phones with its call; a bad record names the same fields by push as by REST;
the ride's REST steps honour If-Match. Through the real sync endpoints and PostgreSQL.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.choices import CallStatus
from referrals.choices import ServiceCategory
from responders.models import Program
from tests.calls.routing_helpers import assign_url, client_for
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    ServiceFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    Phone,
    all_ids,
    created,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    pull_body,
    push,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from transports.choices import TransportStatus
from transports.models import DestinationRefusal, Transport
from umcr.models import QuarantinedRecord
from umcr.sync import sequence

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]

TRANSPORTS = "/api/v1/transports/"


@pytest.fixture
def van_pair():
    """A van crew's two phones and a call they are on scene of, in a program that
    transports."""
    pair = team_pair(status=CallStatus.ON_SCENE)
    Program.objects.filter(pk=pair.team.program_id).update(transports=True)
    return pair


@pytest.fixture
def csu():
    return ServiceFactory(name="Eastside CSU", category=ServiceCategory.CRISIS_STABILIZATION)


@pytest.fixture
def sobering():
    return ServiceFactory(name="Downtown Sobering", category=ServiceCategory.SOBERING_CENTER)


def ride_record(call, destination, **columns) -> dict:
    """A ride as the phone's transports table holds it."""
    record = {
        "id": str(uuid.uuid4()),
        "call_id": str(call.pk),
        "destination_id": str(destination.pk),
        "on_hold": False,
        "consent_given": True,
        "consent_method": "verbal",
        "status": "under_way",
        "departed_at": minutes_ago_ms(30),
        "arrived_at": None,
        "handed_off_at": None,
        "received_by": "",
    }
    record.update(columns)
    return record


def refusal_record(ride: dict, refused, next_destination, **columns) -> dict:
    record = {
        "id": str(uuid.uuid4()),
        "transport_id": ride["id"],
        "call_id": ride["call_id"],
        "destination_id": str(refused.pk),
        "next_destination_id": str(next_destination.pk),
        "reason": "No beds until morning.",
        "refused_at": minutes_ago_ms(20),
    }
    record.update(columns)
    return record


def handed_off_ride(call, csu, sobering) -> tuple[dict, dict]:
    """A whole ride done offline: set out for the CSU, refused there, on to the sobering
    centre, handed off. WatermelonDB sends the ride as it ends, its refusal on its own."""
    ride = ride_record(
        call,
        sobering,
        status="handed_off",
        arrived_at=minutes_ago_ms(10),
        handed_off_at=minutes_ago_ms(5),
        received_by="J. Ortiz, RN",
    )
    return ride, refusal_record(ride, csu, sobering)


# --- the ride, offline, pushed and pulled ---------------------------------------------------


def test_a_ride_from_consent_to_hand_off_with_a_refusal_is_pushed_once_and_the_partner_pulls_it(
    van_pair, csu, sobering
):
    first, second = van_pair.first, van_pair.second
    second.pull()
    ride, refusal = handed_off_ride(van_pair.call, csu, sobering)
    first.write("transports", ride)
    first.write("destination_refusals", refusal)

    answer = first.sync()

    assert answer.json()["rejected"] == {}
    stored = Transport.objects.get(pk=ride["id"])
    assert (stored.status, stored.destination, stored.received_by, stored.consent_given) == (
        TransportStatus.HANDED_OFF,
        sobering,
        "J. Ortiz, RN",
        True,
    )
    kept = DestinationRefusal.objects.get()
    assert (str(kept.pk), kept.service, kept.next_destination, kept.call_id) == (
        refusal["id"],
        csu,
        sobering,
        van_pair.call.pk,
    )
    assert stored.driven_by == first.responder

    second.pull()

    pulled = second.store["transports"][ride["id"]]
    assert (pulled["status"], pulled["destination_id"], pulled["received_by"]) == (
        "handed_off",
        str(sobering.pk),
        "J. Ortiz, RN",
    )
    assert second.store["destination_refusals"][refusal["id"]]["destination_id"] == str(csu.pk)


def test_the_ride_taken_step_by_step_across_syncs_reaches_the_same_end(van_pair, csu, sobering):
    phone = van_pair.first
    ride = phone.write("transports", ride_record(van_pair.call, csu))
    phone.sync()
    phone.edit("transports", ride["id"], status="arrived", arrived_at=minutes_ago_ms(22))
    phone.sync()
    refusal = phone.write("destination_refusals", refusal_record(ride, csu, sobering))
    phone.edit(
        "transports",
        ride["id"],
        destination_id=str(sobering.pk),
        status="under_way",
        arrived_at=None,
    )
    phone.sync()
    phone.edit(
        "transports",
        ride["id"],
        status="handed_off",
        arrived_at=minutes_ago_ms(8),
        handed_off_at=minutes_ago_ms(4),
        received_by="Desk nurse",
    )

    answer = phone.sync()

    assert answer.json()["rejected"] == {}
    stored = Transport.objects.get(pk=ride["id"])
    assert (stored.status, stored.destination_id) == (TransportStatus.HANDED_OFF, sobering.pk)
    assert list(DestinationRefusal.objects.values_list("pk", flat=True)) == [
        uuid.UUID(refusal["id"])
    ]
    assert not phone.has_pending()


def test_a_push_whose_answer_was_lost_sent_again_stores_nothing_twice(van_pair, csu, sobering):
    phone = van_pair.first
    phone.pull()
    ride, refusal = handed_off_ride(van_pair.call, csu, sobering)
    phone.write("transports", ride)
    phone.write("destination_refusals", refusal)
    phone.push(lose_response=True)

    again = phone.push()

    assert again.status_code == 200
    assert again.json()["rejected"] == {}
    assert Transport.objects.count() == 1
    assert DestinationRefusal.objects.count() == 1


def test_a_refusal_pushed_alone_drives_the_ride_on(van_pair, csu, sobering):
    phone = van_pair.first
    ride = phone.write("transports", ride_record(van_pair.call, csu))
    phone.sync()
    phone.write("destination_refusals", refusal_record(ride, csu, sobering))

    phone.sync()

    stored = Transport.objects.get(pk=ride["id"])
    assert (stored.destination, stored.status) == (sobering, TransportStatus.UNDER_WAY)


def test_the_partners_stale_change_of_the_ride_is_a_409(van_pair, csu):
    first, second = van_pair.first, van_pair.second
    ride = first.write("transports", ride_record(van_pair.call, csu))
    first.sync()
    second.pull()
    first.edit("transports", ride["id"], status="arrived", arrived_at=minutes_ago_ms(15))
    first.sync()
    second.edit("transports", ride["id"], status="arrived", arrived_at=minutes_ago_ms(14))

    stale = second.push()

    assert stale.status_code == 409
    assert stale.json()["conflicts"] == {"transports": [ride["id"]]}
    # WatermelonDB's answer: pull, then push again; the step already taken changes nothing.
    second.sync()
    assert Transport.objects.get(pk=ride["id"]).status == TransportStatus.ARRIVED


def test_a_record_taking_the_ride_back_is_refused_and_kept(van_pair, csu):
    phone = van_pair.first
    ride = phone.write("transports", ride_record(van_pair.call, csu))
    phone.sync()
    phone.edit("transports", ride["id"], status="arrived", arrived_at=minutes_ago_ms(15))
    phone.sync()
    phone.edit("transports", ride["id"], status="under_way")

    answer = phone.push()

    assert answer.json()["rejected"]["transports"][ride["id"]]["code"] == "step_back"
    assert QuarantinedRecord.objects.filter(record_id=ride["id"]).exists()
    assert Transport.objects.get(pk=ride["id"]).status == TransportStatus.ARRIVED


# --- the window and the team ----------------------------------------------------------------


def test_the_ride_goes_with_its_reassigned_call_and_stays_with_the_team_that_drove_it(
    van_pair, csu, sobering
):
    phone = van_pair.first
    call = van_pair.call
    ride, refusal = handed_off_ride(call, csu, sobering)
    phone.write("transports", ride)
    phone.write("destination_refusals", refusal)
    phone.sync()
    other = TeamFactory(provider=van_pair.team.provider, program=van_pair.team.program)
    newcomer = Phone(ClinicianFactory(team=other))
    newcomer.pull()
    assert ride["id"] not in newcomer.store["transports"]

    moved = client_for(DispatcherFactory()).post(
        assign_url(call), {"team": other.call_sign}, format="json"
    )

    assert moved.status_code == 200, moved.content
    # Scope follows the record: the team that drove keeps the ride (transports/permissions.py).
    body = pull_body(phone.client, phone.cursor)
    assert ids_of(body, "transports", "deleted") == []
    assert ride["id"] in records_of(body, "transports")
    assert ids_of(body, "calls", "deleted") == [str(call.pk)]
    newcomer.pull()
    assert ride["id"] in newcomer.store["transports"]
    assert refusal["id"] in newcomer.store["destination_refusals"]


def test_the_ride_of_a_call_aging_out_of_the_window_leaves_the_phone(settings, csu, sobering):
    pair = team_pair()
    old = CallFactory(
        team=pair.team,
        status=CallStatus.CLEARED,
        received_at=timezone.now() - timedelta(days=10),
    )
    departed = timezone.now() - timedelta(days=10)
    transport = Transport.objects.create(
        call=old,
        provider=pair.team.provider,
        team=pair.team,
        destination=sobering,
        consent_given=True,
        consent_method="verbal",
        departed_at=departed,
    )
    refusal = DestinationRefusal.objects.create(
        transport=transport,
        call=old,
        service=csu,
        next_destination=sobering,
        reason="Full.",
        refused_at=departed,
    )
    first = pull_body(pair.first.client, None)
    assert ids_of(first, "transports", "created") == [str(transport.pk)]
    assert ids_of(first, "destination_refusals", "created") == [str(refusal.pk)]

    settings.SYNC_WINDOW_DAYS = 5  # ten days pass: the call, and its ride, age out
    body = pull_body(pair.first.client, first["timestamp"])

    assert ids_of(body, "transports", "deleted") == [str(transport.pk)]
    assert ids_of(body, "destination_refusals", "deleted") == [str(refusal.pk)]
    assert Transport.objects.filter(pk=transport.pk).exists()  # the server keeps it


def test_another_teams_phone_never_pulls_the_ride(van_pair, csu, sobering):
    ride, refusal = handed_off_ride(van_pair.call, csu, sobering)
    van_pair.first.write("transports", ride)
    van_pair.first.write("destination_refusals", refusal)
    van_pair.first.sync()
    stranger = Phone(ClinicianFactory(team=TeamFactory(provider=van_pair.team.provider)))

    stranger.pull()

    assert stranger.store["transports"] == {}
    assert stranger.store["destination_refusals"] == {}


# --- one parser ------------------------------------------------------------------------------


def rest_and_push_errors(pair, url: str, body: dict, table: str, record: dict):
    """The fields a REST 400 names and those the push's refusal of the record names."""
    rest = client_for(pair.second.responder).post(url, body, format="json")
    assert rest.status_code == 400, rest.content
    pushed = push(pair.first.client, created(**{table: [record]}), sequence.current())
    assert pushed.status_code == 200, pushed.content
    reason = pushed.json()["rejected"][table][record["id"]]
    return set(rest.json()) - {"detail", "code"}, set(reason) - {"detail", "code"}


def test_a_bad_ride_names_the_same_fields_by_rest_and_by_push(van_pair):
    bad = {"destination": 0, "departed_at": "yesterday", "consent_method": "telepathy"}
    body = {"id": str(uuid.uuid4()), "call": str(van_pair.call.pk), **bad}
    record = {
        "id": str(uuid.uuid4()),
        "call_id": str(van_pair.call.pk),
        "destination_id": 0,
        "departed_at": "yesterday",
        "consent_method": "telepathy",
    }

    rest, pushed = rest_and_push_errors(van_pair, TRANSPORTS, body, "transports", record)

    assert rest == pushed == {"destination", "departed_at", "consent_method"}
    assert not Transport.objects.exists()


def test_a_bad_refusal_names_the_same_fields_by_rest_and_by_push(van_pair, csu):
    phone = van_pair.first
    ride = phone.write("transports", ride_record(van_pair.call, csu))
    phone.sync()
    bad = {"reason": "", "next_destination": "the other one", "refused_at": "soon"}
    record = {
        "id": str(uuid.uuid4()),
        "transport_id": ride["id"],
        "reason": "",
        "next_destination_id": "the other one",
        "refused_at": "soon",
    }

    rest, pushed = rest_and_push_errors(
        van_pair, f"{TRANSPORTS}{ride['id']}/refused/", bad, "destination_refusals", record
    )

    assert rest == pushed == {"reason", "next_destination", "refused_at"}
    assert not DestinationRefusal.objects.exists()


def test_a_bad_hand_off_names_the_same_fields_by_rest_and_by_push(van_pair, csu):
    phone = van_pair.first
    ride = phone.write("transports", ride_record(van_pair.call, csu))
    phone.sync()
    phone.edit("transports", ride["id"], status="arrived", arrived_at=minutes_ago_ms(10))
    phone.sync()
    bad = {"handed_off_at": "later", "received_by": "x" * 121}
    rest = client_for(van_pair.second.responder).post(
        f"{TRANSPORTS}{ride['id']}/handed_off/", bad, format="json"
    )
    phone.edit("transports", ride["id"], status="handed_off", **bad)

    pushed = phone.push()

    assert rest.status_code == 400
    reason = pushed.json()["rejected"]["transports"][ride["id"]]
    assert set(rest.json()) == set(reason) == {"handed_off_at", "received_by"}


# --- REST: If-Match ------------------------------------------------------------------------


def test_a_rest_step_based_on_an_older_version_is_a_409_naming_the_current_one(van_pair, csu):
    phone = client_for(van_pair.first.responder)
    started = phone.post(
        TRANSPORTS,
        {
            "call": str(van_pair.call.pk),
            "destination": csu.pk,
            "departed_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
            "consent_given": True,
            "consent_method": "verbal",
        },
        format="json",
    )
    ride, version = started.json()["id"], started.json()["version"]
    Transport.objects.filter(pk=ride).touch()  # the partner's phone wrote meanwhile
    arrived = {"arrived_at": (timezone.now() - timedelta(minutes=5)).isoformat()}

    stale = phone.post(
        f"{TRANSPORTS}{ride}/arrived/", arrived, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    current = Transport.objects.get(pk=ride).sync_seq

    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["current_version"]) == ("stale", current)
    assert Transport.objects.get(pk=ride).status == TransportStatus.UNDER_WAY
    fresh = phone.post(
        f"{TRANSPORTS}{ride}/arrived/", arrived, format="json", HTTP_IF_MATCH=f'"{current}"'
    )
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["version"] > current


# --- query counts -----------------------------------------------------------------------------


def test_pulling_one_ride_or_five_costs_the_same_queries(django_assert_max_num_queries, csu):
    counts = []
    for size in (1, 5):
        pair = team_pair()
        for _ in range(size):
            call = CallFactory(team=pair.team)
            transport = Transport.objects.create(
                call=call,
                provider=pair.team.provider,
                team=pair.team,
                destination=csu,
                consent_given=True,
                consent_method="verbal",
                departed_at=timezone.now(),
            )
            DestinationRefusal.objects.create(
                transport=transport,
                call=call,
                service=csu,
                reason="Full.",
                refused_at=timezone.now(),
            )
        pull_body(pair.second.client, None)  # the day's window mark, written once
        with django_assert_max_num_queries(60) as captured:
            body = pull_body(pair.first.client, None)
        assert len(all_ids(body, "transports")) == size
        assert len(records_of(body, "destination_refusals")) == size
        counts.append(len(captured))
    assert counts[0] == counts[1]
