"""The referrals API and the services directory: referring someone with their consent
(POST /api/v1/referrals/), every move of the closed loop (POST .../status/) and the 409 of
an illegal one, the history each move keeps, the stale queue and its suggested follow-up,
who may see what, bad input, and lists whose query count does not grow with the data.

Two providers, Alcott (division WIL) and Exodus (division SE).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from followups.models import FollowUp
from referrals.choices import ReferralStatus, ServiceCategory
from referrals.models import CLOSED_REFERRAL_STATUSES, Referral, ReferralStatusChange
from referrals.services import ALLOWED_MOVES
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    DivisionFactory,
    PersonFactory,
    ReferralFactory,
    ReferralStatusChangeFactory,
    ServiceFactory,
)
from tests.followups.helpers import (
    FOLLOWUPS,
    REFERRALS,
    SERVICES,
    api_as,
    days_ago,
    history_steps,
    ids,
    provider_staff,
    referral_body,
    referral_in,
    referral_status_url,
    referral_url,
)

pytestmark = pytest.mark.django_db

S = ReferralStatus
OPEN_STATUSES = [s for s in S if s not in CLOSED_REFERRAL_STATUSES]


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


@pytest.fixture
def exodus():
    return provider_staff("Exodus", "SE")


@pytest.fixture
def shelter():
    return ServiceFactory(
        organization="PATH", name="Harbor Interim Housing", category=ServiceCategory.HOUSING
    )


# --- referring -----------------------------------------------------------------------------------


def test_clinician_refers_the_person_of_their_call_with_consent(alcott, shelter):
    body = referral_body(shelter, call=alcott.call.pk)

    response = api_as(alcott.clinician).post(REFERRALS, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["id"], data["status"], data["person"]) == (
        body["id"],
        "proposed",
        str(alcott.person.pk),
    )
    assert (data["consent_given"], data["consent_method"]) == (True, "verbal")
    assert (data["service_name"], data["referred_by"]) == (
        "Harbor Interim Housing",
        "alcott-clinician",
    )
    assert history_steps(data) == [("", "proposed")]
    stored = Referral.objects.get(pk=body["id"])
    assert (stored.provider, stored.referred_by, stored.consent_recorded_at) == (
        alcott.provider,
        alcott.clinician,
        stored.status_changed_at,
    )


def test_referring_the_same_id_again_returns_the_stored_referral(alcott, shelter):
    client = api_as(alcott.clinician)
    body = referral_body(shelter, call=alcott.call.pk)
    client.post(REFERRALS, body, format="json")

    again = client.post(REFERRALS, {**body, "notes": "retry"}, format="json")

    assert again.status_code == 200
    assert again.json()["notes"] == "Wants a bed tonight; has a dog."
    assert Referral.objects.count() == 1
    assert ReferralStatusChange.objects.count() == 1


def test_referring_with_the_id_of_another_providers_referral_is_409_and_reveals_nothing(
    alcott, exodus, shelter
):
    theirs = referral_in(exodus, notes="Needs detox intake; on probation.")

    response = api_as(alcott.clinician).post(
        REFERRALS, referral_body(shelter, id=str(theirs.pk), call=alcott.call.pk), format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "id_taken"
    assert "probation" not in response.content.decode()


def test_a_malformed_referral_id_in_the_status_url_is_404(alcott):
    response = api_as(alcott.case_manager).post(
        f"{REFERRALS}000000000000000000000000000000000000/status/",
        {"status": "accepted"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["detail"]


def test_case_manager_refers_a_person_and_assigns_themselves(alcott, shelter):
    body = referral_body(
        shelter,
        person=alcott.person.pk,
        assigned_to=alcott.case_manager.pk,
        consent_method="written",
    )

    response = api_as(alcott.case_manager).post(REFERRALS, body, format="json")

    assert response.status_code == 201
    assert response.json()["assigned_to_username"] == "alcott-case-manager"
    assert Referral.objects.get(pk=body["id"]).consent_method == "written"


def test_referral_without_consent_is_400_naming_consent_given(alcott, shelter):
    body = referral_body(shelter, call=alcott.call.pk, consent_given=False)

    response = api_as(alcott.clinician).post(REFERRALS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"consent_given": ["The person's consent is required to refer them."]}
    assert not Referral.objects.exists()


def test_dispatcher_may_not_refer(alcott, shelter):
    response = api_as(DispatcherFactory()).post(
        REFERRALS, referral_body(shelter, call=alcott.call.pk), format="json"
    )

    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_referral_to_a_service_no_longer_in_the_directory_is_400(alcott):
    closed = ServiceFactory(is_active=False)

    response = api_as(alcott.clinician).post(
        REFERRALS, referral_body(closed, call=alcott.call.pk), format="json"
    )

    assert response.status_code == 400
    assert "No such service in the directory." in str(response.json())
    assert not Referral.objects.exists()


def test_referral_from_another_providers_call_is_400_and_creates_nothing(alcott, exodus, shelter):
    response = api_as(alcott.case_manager).post(
        REFERRALS, referral_body(shelter, call=exodus.call.pk), format="json"
    )

    assert response.status_code == 400
    assert "No such call in your scope." in str(response.json())
    assert not Referral.objects.exists()


def without(body: dict, *fields) -> dict:
    return {k: v for k, v in body.items() if k not in fields}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(lambda b, s: without(b, "consent_given"), "consent_given", id="no-consent"),
        pytest.param(
            lambda b, s: {**b, "consent_given": "maybe"}, "consent_given", id="consent-maybe"
        ),
        pytest.param(
            lambda b, s: {**b, "consent_method": "telepathy"}, "consent_method", id="method"
        ),
        pytest.param(lambda b, s: without(b, "consent_method"), "consent_method", id="no-method"),
        pytest.param(lambda b, s: without(b, "service"), "service", id="no-service"),
        pytest.param(lambda b, s: {**b, "service": "shelter"}, "service", id="service-text"),
        pytest.param(lambda b, s: {**b, "call": "not-a-uuid"}, "call", id="call-not-uuid"),
        pytest.param(lambda b, s: {**b, "person": "123"}, "person", id="person-not-uuid"),
        pytest.param(lambda b, s: {**b, "id": "nope"}, "id", id="id-not-uuid"),
        pytest.param(
            lambda b, s: {**b, "assigned_to": s.clinician.pk},
            "assigned_to",
            id="assigned-to-a-clinician",
        ),
        pytest.param(lambda b, s: {**b, "notes": "x" * 5001}, "notes", id="notes-long"),
        pytest.param(
            lambda b, s: {**b, "service": 987654},
            "service",
            id="service-unknown",
        ),
        pytest.param(
            lambda b, s: without(b, "call"),
            "person",
            id="neither-person-nor-call",
        ),
    ],
)
def test_bad_referral_is_400_naming_the_field(alcott, shelter, change, field):
    body = change(referral_body(shelter, call=alcott.call.pk), alcott)

    response = api_as(alcott.case_manager).post(REFERRALS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Referral.objects.exists()


# --- the closed loop ------------------------------------------------------------------------------


def test_referral_goes_round_the_whole_loop_keeping_who_when_and_why(alcott, shelter):
    client = api_as(alcott.case_manager)
    created = client.post(REFERRALS, referral_body(shelter, call=alcott.call.pk), format="json")
    referral_id = created.json()["id"]
    steps = [
        ("sent", "Faxed the intake form."),
        ("accepted", "Bed held until Friday."),
        ("enrolled", "Moved in."),
        ("completed", "Moved on to permanent housing."),
    ]

    for status, note in steps:
        response = client.post(
            referral_status_url(referral_id), {"status": status, "note": note}, format="json"
        )
        assert response.status_code == 200, response.json()

    history = response.json()["history"]
    assert [(h["from_status"], h["to_status"], h["note"]) for h in history] == [
        ("", "proposed", ""),
        ("proposed", "sent", "Faxed the intake form."),
        ("sent", "accepted", "Bed held until Friday."),
        ("accepted", "enrolled", "Moved in."),
        ("enrolled", "completed", "Moved on to permanent housing."),
    ]
    assert {h["changed_by"] for h in history[1:]} == {"alcott-case-manager"}
    times = [datetime.fromisoformat(h["changed_at"]) for h in history]
    assert times == sorted(times)
    stored = Referral.objects.get(pk=referral_id)
    assert stored.status == S.COMPLETED
    assert stored.status_changed_at == times[-1]
    assert stored.history.count() == 5


ALLOWED = [
    (current, target) for current, targets in ALLOWED_MOVES.items() for target in sorted(targets)
]


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=lambda s: str(s))
def test_every_allowed_move_is_made_and_kept_in_history(alcott, current, target):
    referral = referral_in(alcott, status=current, status_changed_at=days_ago(3))

    response = api_as(alcott.clinician).post(
        referral_status_url(referral), {"status": target, "note": f"now {target}"}, "json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == target
    last = response.json()["history"][-1]
    assert (last["from_status"], last["to_status"], last["note"], last["changed_by"]) == (
        current,
        target,
        f"now {target}",
        "alcott-clinician",
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == target
    assert stored.status_changed_at > referral.status_changed_at


ILLEGAL_FROM_OPEN = [
    (current, target)
    for current in OPEN_STATUSES
    for target in S
    if target != current and target not in ALLOWED_MOVES[current]
]


@pytest.mark.parametrize(("current", "target"), ILLEGAL_FROM_OPEN, ids=lambda s: str(s))
def test_an_illegal_move_is_409_saying_where_it_can_go(alcott, current, target):
    referral = referral_in(alcott, status=current)

    response = api_as(alcott.case_manager).post(
        referral_status_url(referral), {"status": target}, "json"
    )

    assert response.status_code == 409
    allowed = ", ".join(sorted(ALLOWED_MOVES[current]))
    assert response.json() == {
        "detail": f"A referral cannot go from {current} to {target}; from {current} it can "
        f"go to {allowed}.",
        "code": "illegal_move",
    }
    assert Referral.objects.get(pk=referral.pk).status == current
    assert not ReferralStatusChange.objects.filter(referral=referral).exists()


FROM_CLOSED = [(current, target) for current in CLOSED_REFERRAL_STATUSES for target in S]


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, t in FROM_CLOSED if c != t],
    ids=lambda s: str(s),
)
def test_a_closed_referral_does_not_move_again(alcott, current, target):
    referral = referral_in(alcott, status=current)

    response = api_as(alcott.case_manager).post(
        referral_status_url(referral), {"status": target}, "json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"The referral is closed ({current}); it cannot move to {target}.",
        "code": "conflict",
    }
    assert Referral.objects.get(pk=referral.pk).status == current


@pytest.mark.parametrize("status", list(S), ids=str)
def test_repeating_the_current_status_is_200_and_writes_no_history(alcott, status):
    referral = referral_in(alcott, status=status)

    response = api_as(alcott.case_manager).post(
        referral_status_url(referral), {"status": status}, "json"
    )

    assert response.status_code == 200
    assert not ReferralStatusChange.objects.filter(referral=referral).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "lost"}, "status"), ({}, "status"), ({"status": None}, "status")],
)
def test_bad_move_is_400_naming_status(alcott, body, field):
    referral = referral_in(alcott)

    response = api_as(alcott.case_manager).post(referral_status_url(referral), body, "json")

    assert response.status_code == 400
    assert field in response.json()
    assert Referral.objects.get(pk=referral.pk).status == S.PROPOSED


def test_move_on_a_referral_id_that_is_not_a_uuid_is_a_json_404(alcott):
    response = api_as(alcott.case_manager).post(
        f"{REFERRALS}42/status/", {"status": "sent"}, "json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- who sees which referrals -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_manager", "supervisor", "clinician"])
def test_other_providers_staff_get_404_on_the_referral(alcott, exodus, who):
    referral = referral_in(alcott)

    response = api_as(getattr(exodus, who)).get(referral_url(referral))

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["case_manager", "clinician"])
def test_other_providers_staff_get_404_moving_the_referral(alcott, exodus, who):
    referral = referral_in(alcott)

    response = api_as(getattr(exodus, who)).post(
        referral_status_url(referral), {"status": "sent"}, "json"
    )

    assert response.status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == S.PROPOSED


def test_referral_list_never_includes_another_providers_rows(alcott, exodus):
    own = referral_in(exodus)
    referral_in(alcott)
    ReferralFactory(provider=alcott.provider)

    response = api_as(exodus.case_manager).get(REFERRALS)

    assert response.status_code == 200
    assert ids(response.json()) == {str(own.pk)}


def test_dispatcher_lists_no_referrals_and_gets_404_on_one(alcott):
    referral = referral_in(alcott)
    client = api_as(DispatcherFactory())

    assert client.get(REFERRALS).json()["results"] == []
    assert client.get(referral_url(referral)).status_code == 404


def test_clinician_sees_their_calls_and_their_pairs_referrals_not_another_pairs(alcott):
    of_their_call = referral_in(alcott)
    made_by_partner = ReferralFactory(
        call=None, person=alcott.person, provider=alcott.provider, referred_by=alcott.partner
    )
    other = ClinicianFactory(provider=alcott.provider)
    ReferralFactory(call=CallFactory(team=other.team), referred_by=other)

    response = api_as(alcott.clinician).get(REFERRALS)

    assert ids(response.json()) == {str(of_their_call.pk), str(made_by_partner.pk)}


def test_detail_shows_the_history_with_who_moved_it(alcott):
    referral = referral_in(alcott, status=S.SENT)
    ReferralStatusChangeFactory(
        referral=referral,
        from_status="proposed",
        to_status="sent",
        changed_by=alcott.case_manager,
        note="Called intake.",
    )

    response = api_as(alcott.clinician).get(referral_url(referral))

    assert response.status_code == 200
    assert [(h["to_status"], h["changed_by"], h["note"]) for h in response.json()["history"]] == [
        ("sent", "alcott-case-manager", "Called intake.")
    ]


# --- the stale queue and filters ----------------------------------------------------------------


@pytest.fixture
def referral_set(alcott, exodus, shelter):
    detox = ServiceFactory(name="Detox Beds", category=ServiceCategory.SUBSTANCE_USE)
    elsewhere = PersonFactory(provider=alcott.provider)
    referral_in(exodus, status=S.SENT, status_changed_at=days_ago(30))
    return {
        "stale_sent": referral_in(
            alcott, status=S.SENT, status_changed_at=days_ago(15), service=shelter
        ),
        "stale_accepted_mine": referral_in(
            alcott,
            status=S.ACCEPTED,
            status_changed_at=days_ago(40),
            service=detox,
            assigned_to=alcott.case_manager,
        ),
        "fresh": referral_in(alcott, status=S.SENT, status_changed_at=days_ago(13)),
        "old_but_closed": referral_in(
            alcott, status=S.COMPLETED, status_changed_at=days_ago(60), person=elsewhere
        ),
        "just_proposed": referral_in(alcott, service=detox),
    }


def listed(records, client, params) -> set[str]:
    response = client.get(REFERRALS, params)
    assert response.status_code == 200, response.json()
    names = {str(r.pk): name for name, r in records.items()}
    return {names.get(i, "other provider's") for i in ids(response.json())}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"queue": "stale"}, {"stale_sent", "stale_accepted_mine"}),
        ({"queue": "open"}, {"stale_sent", "stale_accepted_mine", "fresh", "just_proposed"}),
        ({"status": ["sent", "completed"]}, {"stale_sent", "fresh", "old_but_closed"}),
        ({"category": "substance_use"}, {"stale_accepted_mine", "just_proposed"}),
        ({"mine": "true"}, {"stale_accepted_mine"}),
        ({"queue": "stale", "category": "housing"}, {"stale_sent"}),
    ],
)
def test_queue_and_filters_list_exactly_their_referrals(referral_set, alcott, params, expected):
    assert listed(referral_set, api_as(alcott.case_manager), params) == expected


def test_person_filter_keeps_that_persons_referrals(referral_set, alcott):
    person = referral_set["old_but_closed"].person_id

    assert listed(referral_set, api_as(alcott.case_manager), {"person": str(person)}) == {
        "old_but_closed"
    }


def test_stale_referral_suggests_a_phone_call_to_check_on_it(referral_set, alcott):
    response = api_as(alcott.case_manager).get(REFERRALS, {"queue": "stale"})

    row = next(
        r for r in response.json()["results"] if r["id"] == str(referral_set["stale_sent"].pk)
    )
    assert row["is_stale"] is True
    suggestion = row["suggested_followup"]
    changed_on = timezone.localdate(referral_set["stale_sent"].status_changed_at).isoformat()
    assert suggestion["kind"] == "phone_call"
    assert suggestion["purpose"] == (
        f"Check on the referral to Harbor Interim Housing (sent since {changed_on})."
    )
    opens, due = (datetime.fromisoformat(suggestion[k]) for k in ("not_before", "due_by"))
    assert due - opens == timedelta(days=3)
    assert abs(opens - timezone.now()) < timedelta(minutes=1)


@pytest.mark.parametrize("name", ["fresh", "old_but_closed", "just_proposed"])
def test_referral_that_is_not_stale_suggests_nothing(referral_set, alcott, name):
    response = api_as(alcott.case_manager).get(referral_url(referral_set[name]))

    assert (response.json()["is_stale"], response.json()["suggested_followup"]) == (False, None)


def test_suggested_follow_up_can_be_scheduled_as_it_is(referral_set, alcott):
    client = api_as(alcott.case_manager)
    stale = referral_set["stale_sent"]
    suggestion = client.get(referral_url(stale)).json()["suggested_followup"]

    response = client.post(
        FOLLOWUPS,
        {**suggestion, "person": str(stale.person_id), "assigned_to": alcott.case_manager.pk},
        format="json",
    )

    assert response.status_code == 201
    assert FollowUp.objects.get(pk=response.json()["id"]).purpose == suggestion["purpose"]


def test_stale_list_comes_oldest_change_first(referral_set, alcott):
    response = api_as(alcott.case_manager).get(REFERRALS, {"queue": "stale"})

    assert [r["id"] for r in response.json()["results"]] == [
        str(referral_set["stale_accepted_mine"].pk),
        str(referral_set["stale_sent"].pk),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"queue": "forgotten"}, "queue"),
        ({"status": "lost"}, "status"),
        ({"category": "spa"}, "category"),
        ({"person": "not-a-uuid"}, "person"),
        pytest.param({"mine": "maybe"}, "mine"),
        pytest.param({"cursor": "not-a-cursor"}, "cursor"),
        pytest.param({"page_size": "ten"}, "page_size"),
    ],
)
def test_bad_list_parameter_is_400_naming_it(alcott, params, field):
    response = api_as(alcott.case_manager).get(REFERRALS, params)

    assert response.status_code == 400
    assert field in response.json()


def grow_referrals(staff, count: int) -> None:
    """`count` referrals of every shape: from a call or a person only, assigned or not,
    each to its own service, some stale."""
    for n in range(count):
        call = CallFactory(team=staff.team, person=PersonFactory(provider=staff.provider))
        ReferralFactory(
            call=call if n % 2 else None,
            person=call.person,
            provider=staff.provider,
            referred_by=staff.clinician if n % 3 else staff.case_manager,
            assigned_to=staff.case_manager if n % 2 else None,
            status_changed_at=days_ago(20 if n % 4 else 1),
        )


@pytest.mark.parametrize("params", [{}, {"queue": "open", "category": "shelter"}])
def test_list_query_count_does_not_grow_with_the_referrals(
    alcott, params, django_assert_max_num_queries, django_assert_num_queries
):
    client = api_as(alcott.case_manager)
    grow_referrals(alcott, 3)
    with django_assert_max_num_queries(6) as small:
        response = client.get(REFERRALS, params)
    assert len(response.json()["results"]) == 3

    grow_referrals(alcott, 27)

    with django_assert_num_queries(len(small)):
        response = client.get(REFERRALS, params)
    assert len(response.json()["results"]) == 30


def test_detail_query_count_does_not_grow_with_the_history(
    alcott, django_assert_max_num_queries, django_assert_num_queries
):
    referral = referral_in(alcott)
    ReferralStatusChangeFactory(referral=referral, changed_by=alcott.clinician)
    client = api_as(alcott.case_manager)
    with django_assert_max_num_queries(6) as small:
        client.get(referral_url(referral))
    for n in range(10):
        ReferralStatusChangeFactory(
            referral=referral, changed_by=alcott.partner if n % 2 else alcott.case_manager
        )

    with django_assert_num_queries(len(small)):
        response = client.get(referral_url(referral))
    assert len(response.json()["history"]) == 11


# --- the services directory ----------------------------------------------------------------------

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# "24:00" closes a range at the end of the day, so a range covers the whole of it.
ALL_DAY = [["00:00", "12:00"], ["12:00", "24:00"]]


@pytest.fixture
def directory(alcott, exodus):
    """Services open and closed at the real current local time, in two divisions."""
    today = WEEKDAYS[timezone.localtime().weekday()]
    wilshire, southeast = alcott.division, exodus.division
    services = {
        "housing_always": ServiceFactory(
            organization="PATH",
            name="Harbor Interim Housing",
            category=ServiceCategory.HOUSING,
            description="Interim beds with case management.",
            hours={"always": True},
        ),
        "clinic_every_day": ServiceFactory(
            organization="Exodus Recovery",
            name="Urgent Care Center",
            category=ServiceCategory.MENTAL_HEALTH,
            description="Walk-in psychiatric urgent care.",
            hours=dict.fromkeys(WEEKDAYS, ALL_DAY),
        ),
        "sobering_no_hours": ServiceFactory(
            organization="LA Sobering",
            name="Sobering Center",
            category=ServiceCategory.SUBSTANCE_USE,
            eligibility="Adults 18+ who are intoxicated.",
            hours={},
            is_accepting_clients=False,
        ),
        "food_other_days": ServiceFactory(
            organization="Westside Pantry",
            name="Food Bank",
            category=ServiceCategory.FOOD,
            hours={day: ALL_DAY for day in WEEKDAYS if day != today},
        ),
    }
    services["housing_always"].divisions_served.set([wilshire])
    services["clinic_every_day"].divisions_served.set([southeast])
    services["sobering_no_hours"].divisions_served.set([wilshire, southeast])
    ServiceFactory(organization="Gone", name="Closed Shelter", is_active=False)
    return services


def found(directory, client, params) -> set[str]:
    response = client.get(SERVICES, params)
    assert response.status_code == 200, response.json()
    names = {s.pk: name for name, s in directory.items()}
    return {names.get(row["id"], row["name"]) for row in response.json()}


def test_directory_lists_active_services_by_organization_then_name(directory, alcott):
    response = api_as(alcott.clinician).get(SERVICES)

    assert response.status_code == 200
    assert [row["organization"] for row in response.json()] == [
        "Exodus Recovery",
        "LA Sobering",
        "PATH",
        "Westside Pantry",
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("harbor", {"housing_always"}),
        ("exodus", {"clinic_every_day"}),
        ("PSYCHIATRIC", {"clinic_every_day"}),
        ("intoxicated", {"sobering_no_hours"}),
        ("interim case", {"housing_always"}),
        ("interim psychiatric", set()),
        ("shelter", set()),
    ],
)
def test_text_search_matches_every_word_in_name_organization_description_or_eligibility(
    directory, alcott, q, expected
):
    assert found(directory, api_as(alcott.clinician), {"q": q}) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "housing"}, {"housing_always"}),
        ({"category": "shelter"}, set()),
        ({"division": "WIL"}, {"housing_always", "sobering_no_hours"}),
        ({"division": "SE"}, {"clinic_every_day", "sobering_no_hours"}),
        ({"division": "NOWHERE"}, set()),
        ({"open_now": "true"}, {"housing_always", "clinic_every_day"}),
        ({"open_now": "false"}, {"sobering_no_hours", "food_other_days"}),
        ({"accepting": "false"}, {"sobering_no_hours"}),
        ({"accepting": "true", "division": "WIL"}, {"housing_always"}),
        ({"open_now": "true", "division": "SE"}, {"clinic_every_day"}),
    ],
)
def test_directory_filters(directory, alcott, params, expected):
    assert found(directory, api_as(alcott.case_manager), params) == expected


def test_each_service_says_whether_it_is_open_now(directory, alcott):
    response = api_as(alcott.clinician).get(SERVICES)

    names = {s.pk: name for name, s in directory.items()}
    assert {names[row["id"]]: row["is_open_now"] for row in response.json()} == {
        "housing_always": True,
        "clinic_every_day": True,
        "sobering_no_hours": False,
        "food_other_days": False,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"open_now": "maybe"}, "open_now"),
        ({"accepting": "perhaps"}, "accepting"),
        ({"category": "spa"}, "category"),
    ],
)
def test_bad_directory_parameter_is_400_naming_it(directory, alcott, params, field):
    response = api_as(alcott.clinician).get(SERVICES, params)

    assert response.status_code == 400
    assert field in response.json()


def test_a_very_long_search_is_answered_not_refused(directory, alcott):
    response = api_as(alcott.clinician).get(SERVICES, {"q": "harbor " + "x" * 1000})

    assert response.status_code == 200
    assert response.json() == []


def test_a_service_no_longer_in_the_directory_is_404(alcott):
    gone = ServiceFactory(is_active=False)

    response = api_as(alcott.clinician).get(f"{SERVICES}{gone.pk}/")

    assert response.status_code == 404


def test_one_service_shows_its_divisions_and_hours(directory, alcott):
    service = directory["sobering_no_hours"]

    response = api_as(alcott.clinician).get(f"{SERVICES}{service.pk}/")

    assert response.status_code == 200
    assert sorted(response.json()["divisions_served"]) == ["SE", "WIL"]
    assert (response.json()["hours"], response.json()["is_open_now"]) == ({}, False)


def test_the_directory_needs_a_signed_in_responder(api_client, directory):
    assert api_client.get(SERVICES).status_code == 401


def grow_directory(count: int) -> None:
    """`count` services, every other one open around the clock, each in two divisions."""
    for n in range(count):
        service = ServiceFactory(hours={"always": True} if n % 2 else {})
        service.divisions_served.set([DivisionFactory(), DivisionFactory()])


@pytest.mark.parametrize(
    ("params", "small_count", "large_count"),
    [({}, 3, 30), ({"open_now": "false", "q": "service"}, 2, 16)],
)
def test_directory_query_count_does_not_grow_with_the_services(
    alcott,
    params,
    small_count,
    large_count,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    client = api_as(alcott.clinician)
    grow_directory(3)
    with django_assert_max_num_queries(5) as small:
        response = client.get(SERVICES, params)
    assert len(response.json()) == small_count

    grow_directory(27)

    with django_assert_num_queries(len(small)):
        response = client.get(SERVICES, params)
    assert len(response.json()) == large_count
