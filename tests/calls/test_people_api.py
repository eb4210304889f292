"""A person's page, GET /api/v1/people/{id}/: the calls, follow-ups and referrals of the
person that the reader may see (never another provider's), the access-log row each read
writes, 404 outside scope, and a query count that does not grow with the person's record.

Two providers, Alcott (division WIL) and Exodus (division SE); Dana Alcottson was first
met by Alcott's pair.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls.choices import Disposition
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    FollowUpFactory,
    OutcomeFactory,
    PersonFactory,
    ReferralFactory,
    signed_in_client,
)
from tests.followups.helpers import (
    PEOPLE,
    api_as,
    days_ago,
    ids,
    person_url,
    provider_staff,
    referral_in,
)
from umcr.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def exodus():
    return provider_staff("Exodus", "SE")


@pytest.fixture
def record(alcott):
    """Dana's record at Alcott: two calls (one with an outcome), two follow-ups, a referral."""
    earlier = CallFactory(team=alcott.team, person=alcott.person, received_at=days_ago(9))
    OutcomeFactory(call=earlier, disposition=Disposition.RESOLVED_ON_SCENE)
    return {
        "calls": [alcott.call, earlier],
        "followups": [
            FollowUpFactory(call=alcott.call, person=alcott.person),
            FollowUpFactory(
                call=None,
                person=alcott.person,
                provider=alcott.provider,
                assigned_team=None,
                assigned_to=alcott.case_manager,
            ),
        ],
        "referrals": [referral_in(alcott)],
    }


def sections(body: dict) -> dict[str, set[str]]:
    return {name: ids(body[name]) for name in ("calls", "followups", "referrals")}


def expected(record: dict, **only) -> dict[str, set[str]]:
    chosen = {**record, **only}
    return {name: {str(r.pk) for r in rows} for name, rows in chosen.items()}


# --- what the page gathers ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_manager", "supervisor"])
def test_provider_staff_see_the_persons_calls_follow_ups_and_referrals(alcott, record, who):
    response = api_as(getattr(alcott, who)).get(person_url(alcott.person))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["given_name"], body["family_name"]) == (
        str(alcott.person.pk),
        "Dana",
        "Alcottson",
    )
    assert sections(body) == expected(record)


def test_calls_come_newest_first_with_their_disposition(alcott, record):
    body = api_as(alcott.case_manager).get(person_url(alcott.person)).json()

    assert [(c["id"], c["disposition"]) for c in body["calls"]] == [
        (str(alcott.call.pk), None),
        (str(record["calls"][1].pk), "resolved_on_scene"),
    ]


def test_follow_ups_come_latest_due_first_and_name_their_assignee(alcott):
    sooner = FollowUpFactory(
        call=alcott.call, person=alcott.person, due_by=timezone.now() + timedelta(days=3)
    )
    later = FollowUpFactory(
        call=None,
        person=alcott.person,
        provider=alcott.provider,
        assigned_team=None,
        assigned_to=alcott.case_manager,
        due_by=timezone.now() + timedelta(days=9),
    )

    body = api_as(alcott.case_manager).get(person_url(alcott.person)).json()

    assert [(f["id"], f["assigned_team"], f["assigned_to"]) for f in body["followups"]] == [
        (str(later.pk), None, "alcott-case-manager"),
        (str(sooner.pk), "ALCOTT-1", None),
    ]


def test_referrals_come_latest_change_first_with_their_service(alcott):
    older = referral_in(alcott, status_changed_at=days_ago(20), service__name="Detox Beds")
    newer = referral_in(alcott, status_changed_at=days_ago(1), service__name="Harbor Housing")

    body = api_as(alcott.case_manager).get(person_url(alcott.person)).json()

    assert [(r["id"], r["service"]) for r in body["referrals"]] == [
        (str(newer.pk), "Harbor Housing"),
        (str(older.pk), "Detox Beds"),
    ]


def test_a_person_with_no_record_yet_has_empty_sections(alcott):
    person = PersonFactory(provider=alcott.provider)

    body = api_as(alcott.case_manager).get(person_url(person)).json()

    assert (body["calls"], body["followups"], body["referrals"]) == ([], [], [])


# --- the access log ---------------------------------------------------------------------------------


def test_reading_a_person_writes_one_access_log_row(alcott):
    client, _, device = signed_in_client(alcott.case_manager)

    client.get(person_url(alcott.person))

    log = AccessLog.objects.get(record_type="person")
    assert (log.user, log.device, log.provider, log.action) == (
        alcott.case_manager.user,
        device,
        alcott.provider,
        "read",
    )
    assert log.record_ids == [str(alcott.person.pk)]


def test_every_read_is_logged_again(alcott):
    client = api_as(alcott.clinician)

    client.get(person_url(alcott.person))
    client.get(person_url(alcott.person))

    assert AccessLog.objects.filter(record_type="person").count() == 2


# --- who may read whom ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_manager", "supervisor", "clinician"])
def test_other_providers_staff_get_404_and_leave_no_log(alcott, exodus, who):
    response = api_as(getattr(exodus, who)).get(person_url(alcott.person))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AccessLog.objects.exists()


def test_a_provider_that_served_the_person_sees_only_its_own_part(alcott, exodus, record):
    their_call = CallFactory(team=exodus.team, person=alcott.person)
    their_followup = FollowUpFactory(call=their_call, person=alcott.person)
    their_referral = ReferralFactory(call=their_call, person=alcott.person)

    body = api_as(exodus.case_manager).get(person_url(alcott.person)).json()

    assert sections(body) == expected(
        {"calls": [their_call], "followups": [their_followup], "referrals": [their_referral]}
    )


def test_clinician_sees_only_their_pairs_part_of_the_record(alcott, record):
    other = ClinicianFactory(provider=alcott.provider)
    their_call = CallFactory(team=other.team, person=alcott.person)

    body = api_as(other).get(person_url(alcott.person)).json()

    assert sections(body) == expected({"calls": [their_call], "followups": [], "referrals": []})


def test_clinician_whose_pair_only_visits_the_person_may_read_the_page(alcott):
    visitor = ClinicianFactory(provider=alcott.provider)
    visit = FollowUpFactory(
        call=None, person=alcott.person, provider=alcott.provider, assigned_team=visitor.team
    )

    response = api_as(visitor).get(person_url(alcott.person))

    assert response.status_code == 200
    assert sections(response.json()) == expected(
        {"calls": [], "followups": [visit], "referrals": []}
    )


def test_clinician_of_another_pair_who_never_met_the_person_gets_404(alcott):
    stranger = ClinicianFactory(provider=alcott.provider)

    response = api_as(stranger).get(person_url(alcott.person))

    assert response.status_code == 404


def test_dispatcher_does_not_read_peoples_pages(alcott, record):
    # Minimum necessary: the desk dispatches to places; people's records are the providers'.
    response = api_as(DispatcherFactory()).get(person_url(alcott.person))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("person_id", ["0bd161d3-6292-4dc1-8fce-1f6f60a46e9a", "not-a-uuid", "42"])
def test_unknown_or_malformed_person_id_is_a_json_404(alcott, person_id):
    response = api_as(alcott.case_manager).get(f"{PEOPLE}{person_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AccessLog.objects.exists()


def test_the_page_needs_a_signed_in_responder(api_client, alcott):
    assert api_client.get(person_url(alcott.person)).status_code == 401


# --- cost ---------------------------------------------------------------------------------------------


def grow_record(staff, count: int) -> None:
    """`count` more calls of the person, each with an outcome, a follow-up and a referral."""
    for n in range(count):
        call = CallFactory(team=staff.team, person=staff.person, received_at=days_ago(n + 1))
        OutcomeFactory(call=call)
        FollowUpFactory(
            call=call,
            person=staff.person,
            assigned_team=None if n % 2 else staff.team,
            assigned_to=staff.case_manager if n % 2 else None,
        )
        ReferralFactory(call=call, person=staff.person, assigned_to=staff.case_manager)


def test_person_page_query_count_does_not_grow_with_the_record(
    alcott, django_assert_max_num_queries, django_assert_num_queries
):
    client = api_as(alcott.case_manager)
    grow_record(alcott, 2)
    with django_assert_max_num_queries(10) as small:
        body = client.get(person_url(alcott.person)).json()
    assert len(body["followups"]) == 2

    grow_record(alcott, 18)

    with django_assert_num_queries(len(small)):
        body = client.get(person_url(alcott.person)).json()
    assert [len(body[k]) for k in ("calls", "followups", "referrals")] == [21, 20, 20]
