"""The supervisors' dashboard in the admin (/admin/dashboard/): their own provider's
headline figures, by period and division; nobody else's.

Alcott (WIL, OLY) handled three calls in March 2025 and one in January; Exodus (SE) handled
five in March.
"""

import re

import pytest
from django.utils import timezone

from tests.calls.routing_helpers import DASHBOARD, local, timed_call
from tests.factories import (
    CaseManagerFactory,
    ClinicianFactory,
    DivisionFactory,
    ProgramFactory,
    ProviderFactory,
    SupervisorFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott Center", slug="alcott")


@pytest.fixture
def exodus():
    return ProviderFactory(name="Exodus Recovery", slug="exodus")


@pytest.fixture
def calls(alcott, exodus):
    wil = DivisionFactory(name="Wilshire", code="WIL")
    oly = DivisionFactory(name="Olympic", code="OLY")
    se = DivisionFactory(name="Southeast", code="SE")
    alcott_team = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    exodus_team = TeamFactory(provider=exodus, call_sign="EXODUS-1")
    for day, division in [(3, wil), (10, wil), (17, oly)]:
        timed_call(
            team=alcott_team,
            division=division,
            received_at=local(2025, 3, day, 9),
            response=10,
            on_scene=20,
        )
    timed_call(
        team=alcott_team,
        division=wil,
        received_at=local(2025, 1, 15, 9),
        response=10,
        on_scene=20,
    )
    for day in range(1, 6):
        timed_call(
            team=exodus_team,
            division=se,
            received_at=local(2025, 3, day, 9),
            response=10,
            on_scene=20,
        )


@pytest.fixture
def supervisor_admin(client, alcott, calls):
    client.force_login(SupervisorFactory(provider=alcott).user)
    return client


def calls_handled_card(response) -> str:
    match = re.search(r'id="calls-handled">\s*([^<]*?)\s*<', response.content.decode())
    assert match, "the page has no calls-handled figure"
    return match.group(1)


def test_supervisor_opens_the_dashboard(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, MARCH)

    assert response.status_code == 200


def test_dashboard_shows_own_providers_calls_handled(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, MARCH)

    assert calls_handled_card(response) == "3"
    assert response.context["total"]["calls_handled"] == 3


def test_dashboard_is_titled_with_own_provider(supervisor_admin):
    html = supervisor_admin.get(DASHBOARD, MARCH).content.decode()

    assert "Alcott Center" in html


def test_dashboard_shows_no_other_providers_figures(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, MARCH)

    assert "Exodus Recovery" not in response.content.decode()
    assert response.context["provider"].slug == "alcott"
    assert calls_handled_card(response) != "8"  # Alcott's 3 and Exodus's 5


def test_supervisor_cannot_widen_the_dashboard_to_another_provider(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, {"provider": "exodus", **MARCH})

    assert calls_handled_card(response) == "3"
    assert "Exodus Recovery" not in response.content.decode()


def test_dashboard_period_filter(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, {"from": "2025-01-01", "to": "2025-03-31"})

    assert calls_handled_card(response) == "4"


def test_dashboard_period_filter_excludes_calls_outside_it(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, {"from": "2025-01-01", "to": "2025-01-31"})

    assert calls_handled_card(response) == "1"


@pytest.mark.parametrize("to", ["0001-01-01", "9999-12-31", "not a date"])
def test_dashboard_falls_back_to_the_last_90_days_on_an_impossible_end(supervisor_admin, to):
    response = supervisor_admin.get(DASHBOARD, {"to": to})

    assert response.status_code == 200
    first, last = response.context["first"], response.context["last"]
    assert last == timezone.localdate()
    assert (last - first).days == 89


def test_dashboard_division_filter(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, {"division": "OLY", **MARCH})

    assert calls_handled_card(response) == "1"
    assert response.context["division"] == "OLY"


def test_dashboard_numbers_match_the_api_definitions(supervisor_admin):
    response = supervisor_admin.get(DASHBOARD, MARCH)

    assert "calls_handled" in response.context["definitions"]
    assert "resolved without police" in response.content.decode()


def test_dashboard_costs_use_the_programs_configured_rates(supervisor_admin, settings):
    settings.UMCR_TEAM_HOURLY_COST, settings.UMCR_POLICE_HOURLY_COST = 40.0, 100.0

    total = supervisor_admin.get(DASHBOARD, MARCH).context["total"]

    hours = total["committed_hours"]
    assert hours > 0
    assert (total["team_cost"], total["police_cost"]) == (
        round(hours * 40, 2),
        round(hours * 100, 2),
    )


def test_anonymous_is_sent_to_the_login(client, calls):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_clinician_cannot_open_the_dashboard(client, alcott, calls):
    client.force_login(ClinicianFactory(provider=alcott).user)

    response = client.get(DASHBOARD, MARCH)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_clinician_cannot_open_the_dashboard(client, alcott, calls):
    clinician = ClinicianFactory(provider=alcott)
    clinician.user.is_staff = True
    clinician.user.save()
    client.force_login(clinician.user)

    response = client.get(DASHBOARD, MARCH)

    assert response.status_code == 403
    assert b"calls-handled" not in response.content


def test_staff_without_a_responder_profile_cannot_open_the_dashboard(client, calls):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(DASHBOARD, MARCH)

    assert response.status_code == 403


def test_case_manager_sees_own_providers_dashboard(client, exodus, calls):
    client.force_login(CaseManagerFactory(provider=exodus).user)

    response = client.get(DASHBOARD, MARCH)

    assert response.status_code == 200
    assert calls_handled_card(response) == "5"


def test_superuser_sees_every_provider(client, calls):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(DASHBOARD, MARCH)

    assert calls_handled_card(response) == "8"


def test_dashboard_program_filter_and_calls_by_program(client, alcott, calls):
    # One of Alcott's March calls was an outreach program's, handled by its outreach team.
    outreach = TeamFactory(
        provider=alcott, call_sign="ALCOTT-C1", program=ProgramFactory(slug="circle")
    )
    timed_call(
        team=outreach,
        division=DivisionFactory(code="HWD"),
        received_at=local(2025, 3, 4, 9),
        response=10,
        on_scene=20,
    )
    client.force_login(SupervisorFactory(provider=alcott).user)

    everything = client.get(DASHBOARD, MARCH)
    circle = client.get(DASHBOARD, {"program": "circle", **MARCH})

    assert calls_handled_card(everything) == "4"
    assert {bar["label"]: bar["count"] for bar in everything.context["by_program"]} == {
        "Unarmed Model of Crisis Response": 3,
        "Street Outreach Response": 1,
    }
    assert calls_handled_card(circle) == "1"
    assert circle.context["program"] == "circle"
    assert circle.context["by_program"] == []


def test_response_buckets_are_drawn_in_order_and_the_backup_rate_is_a_percentage(
    supervisor_admin,
):
    response = supervisor_admin.get(DASHBOARD, MARCH)

    labels = [bar["label"] for bar in response.context["histogram"]]
    assert labels == ["0–10 min", "10–20 min", "20–30 min", "30–45 min", "45–60 min", "60+ min"]
    # Every March call took 10 minutes to reach (the 10-20 bucket): the widest bar is
    # drawn second, in its bucket's place, not first for being widest.
    assert [bar["count"] for bar in response.context["histogram"]][:2] == [0, 3]
    assert re.search(
        r'<div class="n">\d+%</div><div class="d">backup rate', response.content.decode()
    )
