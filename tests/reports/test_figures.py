"""The program's figures (GET /api/v1/metrics/), checked against a small data set counted
by hand: every figure, grouped and filtered, scoped by role, as JSON and CSV.

The data set (all times Los Angeles; "handled" = cleared):

Alcott, team ALCOTT-1, divisions WIL and OLY, March 2025 (times in minutes:
dispatch->on scene, on scene->cleared, so committed = their sum):
  c1 WIL welfare_check         10/30 (40)  outcome refused_services+police, corrected to
                                            resolved_on_scene, no police
  c2 WIL mental_health_crisis  20/40 (60)  referred_to_services, no police; backups
                                            person_requests_officer (resolved) and
                                            weapon_seen (acknowledged)
  c3 OLY welfare_check         30/50 (80)  handed_to_police, police; backup
                                            violence_or_threat (cancelled)
  c4 OLY public_intoxication   40/20 (60)  transported_voluntarily, no police; backup
                                            medical_emergency (cancelled); received 31 March
                                            23:00 (already 1 April in UTC)
  c5 OLY cancelled by the desk
  c6 OLY open (on scene);                  backup medical_emergency (requested)
  c0 WIL 28 February 23:30 (1 March in UTC) 12/18 (30); referral shelter completed (Feb)
  c9 WIL 1 April 00:30                      5/5 (10)
  follow-ups on c1 due in March: on time (early), on time (at due_by), on time (31 March
  23:30), late, late, missed, still scheduled, cancelled (not counted); one due in April
  referrals in March: housing enrolled, housing declined (c2); mental_health completed,
  substance_use proposed, benefits withdrawn (c3)
Exodus, team EXODUS-1, division SE, March 2025:
  c7 SE welfare_check 15/15 (30) resolved_on_scene; c8 SE homelessness 25/35 (60)
  refused_services; a follow-up done on time; a referral food completed
"""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.choices import BackupReason, BackupStatus, CallType, Disposition
from followups.choices import FollowUpStatus
from referrals.choices import ReferralStatus, ServiceCategory
from referrals.models import Referral
from tests.calls.routing_helpers import METRICS, client_for, local, timed_call
from tests.factories import (
    BackupRequestFactory,
    CaseManagerFactory,
    ClinicianFactory,
    DispatcherFactory,
    DivisionFactory,
    FollowUpFactory,
    OutcomeFactory,
    ProgramFactory,
    ProviderFactory,
    ReferralFactory,
    ServiceFactory,
    SupervisorFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


# --- the data set -------------------------------------------------------------------------


def backup(call, reason, status):
    details = "See the call." if reason == BackupReason.OTHER else ""
    return BackupRequestFactory(call=call, reason=reason, status=status, details=details)


def followup(call, due_by, status, closed_at=None):
    return FollowUpFactory(
        call=call,
        not_before=due_by - timedelta(days=2),
        due_by=due_by,
        status=status,
        closed_at=closed_at,
    )


def referral(call, category, status, created_at):
    made = ReferralFactory(call=call, service=ServiceFactory(category=category), status=status)
    Referral.objects.filter(pk=made.pk).update(created_at=created_at)
    return made


@pytest.fixture
def program():
    alcott = ProviderFactory(name="Alcott", slug="alcott")
    exodus = ProviderFactory(name="Exodus", slug="exodus")
    wil = DivisionFactory(name="Wilshire", code="WIL")
    oly = DivisionFactory(name="Olympic", code="OLY")
    se = DivisionFactory(name="Southeast", code="SE")
    a1 = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    # Exodus' calls are another program's (an outreach program), Alcott's UMCR's.
    e1 = TeamFactory(provider=exodus, call_sign="EXODUS-1", program=ProgramFactory(slug="circle"))

    c1 = timed_call(
        team=a1,
        division=wil,
        received_at=local(2025, 3, 3, 9),
        response=10,
        on_scene=30,
        disposition=Disposition.REFUSED_SERVICES,
        police_involved=True,
    )
    OutcomeFactory(
        call=c1,
        disposition=Disposition.RESOLVED_ON_SCENE,
        police_involved=False,
        supersedes=c1.outcomes.get(),
    )
    c2 = timed_call(
        team=a1,
        division=wil,
        received_at=local(2025, 3, 10, 14),
        response=20,
        on_scene=40,
        call_type=CallType.MENTAL_HEALTH_CRISIS,
        disposition=Disposition.REFERRED_TO_SERVICES,
    )
    backup(c2, BackupReason.PERSON_REQUESTS_OFFICER, BackupStatus.RESOLVED)
    backup(c2, BackupReason.WEAPON_SEEN, BackupStatus.ACKNOWLEDGED)
    c3 = timed_call(
        team=a1,
        division=oly,
        received_at=local(2025, 3, 17, 20),
        response=30,
        on_scene=50,
        disposition=Disposition.HANDED_TO_POLICE,
        police_involved=True,
    )
    backup(c3, BackupReason.VIOLENCE_OR_THREAT, BackupStatus.CANCELLED)
    c4 = timed_call(
        team=a1,
        division=oly,
        received_at=local(2025, 3, 31, 23),
        response=40,
        on_scene=20,
        call_type=CallType.PUBLIC_INTOXICATION,
        disposition=Disposition.TRANSPORTED_VOLUNTARILY,
    )
    backup(c4, BackupReason.MEDICAL_EMERGENCY, BackupStatus.CANCELLED)
    timed_call(team=a1, division=oly, received_at=local(2025, 3, 12, 8), cancelled=True)
    c6 = timed_call(
        team=a1, division=oly, received_at=local(2025, 3, 20, 11), response=12, cleared=False
    )
    backup(c6, BackupReason.MEDICAL_EMERGENCY, BackupStatus.REQUESTED)
    c0 = timed_call(
        team=a1, division=wil, received_at=local(2025, 2, 28, 23, 30), response=12, on_scene=18
    )
    timed_call(team=a1, division=wil, received_at=local(2025, 4, 1, 0, 30), response=5, on_scene=5)

    done = FollowUpStatus.COMPLETED
    followup(c1, local(2025, 3, 14, 17), done, local(2025, 3, 13, 12))
    followup(c1, local(2025, 3, 15, 17), done, local(2025, 3, 15, 17))
    followup(c1, local(2025, 3, 31, 23, 30), done, local(2025, 3, 31, 9))
    followup(c1, local(2025, 3, 16, 17), done, local(2025, 3, 17, 9))
    followup(c1, local(2025, 3, 22, 17), done, local(2025, 3, 22, 17, 1))
    followup(c1, local(2025, 3, 18, 17), FollowUpStatus.MISSED, local(2025, 3, 19))
    followup(c1, local(2025, 3, 28, 17), FollowUpStatus.SCHEDULED)
    followup(c1, local(2025, 3, 20, 17), FollowUpStatus.CANCELLED, local(2025, 3, 19, 10))
    followup(c1, local(2025, 4, 2, 17), done, local(2025, 4, 1, 9))

    referral(c2, ServiceCategory.HOUSING, ReferralStatus.ENROLLED, local(2025, 3, 10, 15))
    referral(c2, ServiceCategory.HOUSING, ReferralStatus.DECLINED, local(2025, 3, 10, 15))
    referral(c3, ServiceCategory.MENTAL_HEALTH, ReferralStatus.COMPLETED, local(2025, 3, 18, 9))
    referral(c3, ServiceCategory.SUBSTANCE_USE, ReferralStatus.PROPOSED, local(2025, 3, 18, 9))
    referral(c3, ServiceCategory.BENEFITS, ReferralStatus.WITHDRAWN, local(2025, 3, 18, 9))
    referral(c0, ServiceCategory.SHELTER, ReferralStatus.COMPLETED, local(2025, 2, 28, 23, 50))

    c7 = timed_call(
        team=e1, division=se, received_at=local(2025, 3, 5, 10), response=15, on_scene=15
    )
    timed_call(
        team=e1,
        division=se,
        received_at=local(2025, 3, 6, 10),
        response=25,
        on_scene=35,
        call_type=CallType.HOMELESSNESS,
        disposition=Disposition.REFUSED_SERVICES,
    )
    followup(c7, local(2025, 3, 10, 17), done, local(2025, 3, 9, 12))
    referral(c7, ServiceCategory.FOOD, ReferralStatus.COMPLETED, local(2025, 3, 5, 11))
    return {"alcott": alcott, "exodus": exodus}


@pytest.fixture
def supervisor(program):
    return client_for(SupervisorFactory(provider=program["alcott"]))


@pytest.fixture
def desk(program):
    return client_for(DispatcherFactory())


def figures(client, **params) -> dict:
    response = client.get(METRICS, params)
    assert response.status_code == 200, response.content
    return response.json()


def minutes(mean, median, p90) -> dict:
    return {"mean": mean, "median": median, "p90": p90}


# --- the expected figures, counted by hand ----------------------------------------------------

ALCOTT_MARCH = {
    "calls_handled": 4,  # c1-c4; c5 cancelled, c6 open, c0/c9 outside the period
    "resolved_without_police": 2,  # c1 (corrected outcome), c4 (backup cancelled)
    "resolved_without_police_share": 0.5,
    "backup_requests": 3,  # c2 twice, c6 (open call); cancelled ones not counted
    "backup_requests_by_reason": {
        "person_requests_officer": 1,
        "weapon_seen": 1,
        "medical_emergency": 1,
    },
    "calls_with_backup": 1,  # c2; c6 is not handled
    "backup_rate": 0.25,
    "response_minutes": minutes(25.0, 25.0, 37.0),  # 10, 20, 30, 40
    "on_scene_minutes": minutes(35.0, 35.0, 47.0),  # 20, 30, 40, 50
    "committed_minutes": minutes(60.0, 60.0, 74.0),  # 40, 60, 60, 80
    "committed_hours": 4.0,
    "calls_by_type": {"welfare_check": 2, "mental_health_crisis": 1, "public_intoxication": 1},
    "calls_by_disposition": {
        "resolved_on_scene": 1,
        "referred_to_services": 1,
        "handed_to_police": 1,
        "transported_voluntarily": 1,
    },
    "followups_due": 7,  # cancelled and April not counted
    "followups_completed_on_time": 3,  # early, at due_by, 31 March
    "followups_on_time_share": 0.4286,
    "referrals_made": 5,
    "referrals_by_category": {
        "housing": 2,
        "mental_health": 1,
        "substance_use": 1,
        "benefits": 1,
    },
    "referrals_closed_share": 0.4,  # enrolled, completed
    "team_cost": 140.0,
    "police_cost": 340.0,
    "estimated_savings": 200.0,
}

EXODUS_MARCH = {
    "calls_handled": 2,
    "resolved_without_police": 2,
    "resolved_without_police_share": 1.0,
    "backup_requests": 0,
    "backup_requests_by_reason": {},
    "calls_with_backup": 0,
    "backup_rate": 0.0,
    "response_minutes": minutes(20.0, 20.0, 24.0),  # 15, 25
    "on_scene_minutes": minutes(25.0, 25.0, 33.0),  # 15, 35
    "committed_minutes": minutes(45.0, 45.0, 57.0),  # 30, 60
    "committed_hours": 1.5,
    "calls_by_type": {"welfare_check": 1, "homelessness": 1},
    "calls_by_disposition": {"resolved_on_scene": 1, "refused_services": 1},
    "followups_due": 1,
    "followups_completed_on_time": 1,
    "followups_on_time_share": 1.0,
    "referrals_made": 1,
    "referrals_by_category": {"food": 1},
    "referrals_closed_share": 1.0,
    "team_cost": 52.5,
    "police_cost": 127.5,
    "estimated_savings": 75.0,
}

ALL_MARCH = {
    "calls_handled": 6,
    "resolved_without_police": 4,
    "resolved_without_police_share": 0.6667,
    "backup_requests": 3,
    "backup_requests_by_reason": ALCOTT_MARCH["backup_requests_by_reason"],
    "calls_with_backup": 1,
    "backup_rate": 0.1667,
    "response_minutes": minutes(23.3, 22.5, 35.0),  # 10, 15, 20, 25, 30, 40
    "on_scene_minutes": minutes(31.7, 32.5, 45.0),  # 15, 20, 30, 35, 40, 50
    "committed_minutes": minutes(55.0, 60.0, 70.0),  # 30, 40, 60, 60, 60, 80
    "committed_hours": 5.5,
    "calls_by_type": {
        "welfare_check": 3,
        "mental_health_crisis": 1,
        "public_intoxication": 1,
        "homelessness": 1,
    },
    "calls_by_disposition": {
        "resolved_on_scene": 2,
        "referred_to_services": 1,
        "handed_to_police": 1,
        "transported_voluntarily": 1,
        "refused_services": 1,
    },
    "followups_due": 8,
    "followups_completed_on_time": 4,
    "followups_on_time_share": 0.5,
    "referrals_made": 6,
    "referrals_by_category": {
        "housing": 2,
        "mental_health": 1,
        "substance_use": 1,
        "benefits": 1,
        "food": 1,
    },
    "referrals_closed_share": 0.5,
    "team_cost": 192.5,
    "police_cost": 467.5,
    "estimated_savings": 275.0,
}

WIL_MARCH = {
    "calls_handled": 2,
    "resolved_without_police": 1,
    "resolved_without_police_share": 0.5,
    "backup_requests": 2,
    "backup_requests_by_reason": {"person_requests_officer": 1, "weapon_seen": 1},
    "calls_with_backup": 1,
    "backup_rate": 0.5,
    "response_minutes": minutes(15.0, 15.0, 19.0),
    "on_scene_minutes": minutes(35.0, 35.0, 39.0),
    "committed_minutes": minutes(50.0, 50.0, 58.0),
    "committed_hours": 1.7,
    "calls_by_type": {"welfare_check": 1, "mental_health_crisis": 1},
    "calls_by_disposition": {"resolved_on_scene": 1, "referred_to_services": 1},
    "followups_due": 7,
    "followups_completed_on_time": 3,
    "followups_on_time_share": 0.4286,
    "referrals_made": 2,
    "referrals_by_category": {"housing": 2},
    "referrals_closed_share": 0.5,
    "team_cost": 59.5,
    "police_cost": 144.5,
    "estimated_savings": 85.0,
}

OLY_MARCH = {
    "calls_handled": 2,
    "resolved_without_police": 1,
    "resolved_without_police_share": 0.5,
    "backup_requests": 1,
    "backup_requests_by_reason": {"medical_emergency": 1},
    "calls_with_backup": 0,
    "backup_rate": 0.0,
    "response_minutes": minutes(35.0, 35.0, 39.0),  # 30, 40
    "on_scene_minutes": minutes(35.0, 35.0, 47.0),  # 50, 20
    "committed_minutes": minutes(70.0, 70.0, 78.0),  # 80, 60
    "committed_hours": 2.3,
    "calls_by_type": {"welfare_check": 1, "public_intoxication": 1},
    "calls_by_disposition": {"handed_to_police": 1, "transported_voluntarily": 1},
    "followups_due": 0,
    "followups_completed_on_time": 0,
    "followups_on_time_share": None,
    "referrals_made": 3,
    "referrals_by_category": {"mental_health": 1, "substance_use": 1, "benefits": 1},
    "referrals_closed_share": 0.3333,
    "team_cost": 80.5,
    "police_cost": 195.5,
    "estimated_savings": 115.0,
}

ALCOTT_FEBRUARY = {
    "calls_handled": 1,
    "resolved_without_police": 1,
    "resolved_without_police_share": 1.0,
    "backup_requests": 0,
    "backup_requests_by_reason": {},
    "calls_with_backup": 0,
    "backup_rate": 0.0,
    "response_minutes": minutes(12.0, 12.0, 12.0),
    "on_scene_minutes": minutes(18.0, 18.0, 18.0),
    "committed_minutes": minutes(30.0, 30.0, 30.0),
    "committed_hours": 0.5,
    "calls_by_type": {"welfare_check": 1},
    "calls_by_disposition": {"resolved_on_scene": 1},
    "followups_due": 0,
    "followups_completed_on_time": 0,
    "followups_on_time_share": None,
    "referrals_made": 1,
    "referrals_by_category": {"shelter": 1},
    "referrals_closed_share": 1.0,
    "team_cost": 17.5,
    "police_cost": 42.5,
    "estimated_savings": 25.0,
}


def picked(row: dict, expected: dict) -> dict:
    return {figure: row.get(figure) for figure in expected}


# --- every figure, for one supervisor's provider --------------------------------------------


@pytest.mark.parametrize("figure", ALCOTT_MARCH)
def test_supervisors_figure_matches_the_hand_count(supervisor, figure):
    total = figures(supervisor, **MARCH)["total"]

    assert total[figure] == ALCOTT_MARCH[figure]


def test_response_p90_interpolates_between_durations(supervisor):
    # percentile_cont over 10, 20, 30, 40 minutes: 30 + 0.7 x 10.
    total = figures(supervisor, **MARCH)["total"]

    assert total["response_minutes"]["p90"] == 37.0


def test_a_phone_clock_behind_the_servers_counts_as_no_response_time_not_negative_time():
    team = TeamFactory(call_sign="SLOW-1")
    division = DivisionFactory(code="SLW")
    # On scene "half a minute before" the dispatch, by a phone running behind; then 10 min.
    timed_call(
        team=team, division=division, received_at=local(2025, 3, 3, 9), response=-0.5, on_scene=10
    )
    timed_call(
        team=team, division=division, received_at=local(2025, 3, 4, 9), response=4, on_scene=10
    )
    desk = client_for(DispatcherFactory())

    total = figures(desk, division="SLW", **MARCH)["total"]

    assert total["response_minutes"] == minutes(2.0, 2.0, 3.6)
    assert total["committed_minutes"]["mean"] == 11.8  # (9.5 + 14) / 2, to a tenth


def test_costs_use_the_rates_asked_for(supervisor):
    body = figures(supervisor, team_rate="40", police_rate="100", **MARCH)

    total = body["total"]
    assert (total["team_cost"], total["police_cost"], total["estimated_savings"]) == (
        160.0,
        400.0,
        240.0,
    )
    assert body["rates"] == {"team_rate": 40.0, "police_rate": 100.0}


def test_default_rates_are_35_and_85_dollars_an_hour(supervisor):
    body = figures(supervisor, **MARCH)

    assert body["rates"] == {"team_rate": 35.0, "police_rate": 85.0}


def test_body_names_the_period_and_the_filters(supervisor):
    body = figures(supervisor, by="division", **MARCH)

    assert body["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert body["filters"] == {
        "provider": "alcott",
        "division": None,
        "program": None,
        "by": "division",
    }


def test_without_grouping_there_are_no_rows(supervisor):
    assert figures(supervisor, **MARCH)["rows"] == []


def test_definitions_name_every_figure_reported(supervisor):
    body = figures(supervisor, **MARCH)

    undefined = sorted(set(body["total"]) - {"group"} - set(body["definitions"]))
    assert undefined == []


def test_definitions_name_the_headline_figures(supervisor):
    body = figures(supervisor, **MARCH)

    headline = set(ALCOTT_MARCH) - {
        "calls_with_backup",
        "backup_requests_by_reason",
        "referrals_by_category",
    }
    assert headline <= set(body["definitions"])
    assert all(body["definitions"][name].strip() for name in headline)


def test_a_period_without_calls_reports_zero(supervisor):
    total = figures(supervisor, **{"from": "2024-01-01", "to": "2024-01-31"})["total"]

    assert (total["calls_handled"], total["backup_requests"], total["referrals_made"]) == (0, 0, 0)
    assert total["resolved_without_police_share"] is None


# --- grouping -------------------------------------------------------------------------------


def test_by_division_gives_one_row_per_division(supervisor):
    rows = figures(supervisor, by="division", **MARCH)["rows"]

    assert [row["group"] for row in rows] == ["OLY", "WIL"]


@pytest.mark.parametrize("division,expected", [("WIL", WIL_MARCH), ("OLY", OLY_MARCH)])
def test_division_row_matches_the_hand_count(supervisor, division, expected):
    rows = {row["group"]: row for row in figures(supervisor, by="division", **MARCH)["rows"]}

    assert picked(rows[division], expected) == expected


def test_division_filter_gives_that_divisions_figures(supervisor):
    total = figures(supervisor, division="WIL", **MARCH)["total"]

    assert picked(total, WIL_MARCH) == WIL_MARCH


def test_by_provider_gives_one_row_per_provider(desk):
    rows = figures(desk, by="provider", **MARCH)["rows"]

    assert [row["group"] for row in rows] == ["alcott", "exodus"]


@pytest.mark.parametrize("slug,expected", [("alcott", ALCOTT_MARCH), ("exodus", EXODUS_MARCH)])
def test_provider_row_matches_the_hand_count(desk, slug, expected):
    rows = {row["group"]: row for row in figures(desk, by="provider", **MARCH)["rows"]}

    assert picked(rows[slug], expected) == expected


def test_by_program_gives_one_row_per_program_matching_the_hand_count(desk):
    rows = {row["group"]: row for row in figures(desk, by="program", **MARCH)["rows"]}

    assert sorted(rows) == ["circle", "umcr"]
    assert picked(rows["umcr"], ALCOTT_MARCH) == ALCOTT_MARCH
    assert picked(rows["circle"], EXODUS_MARCH) == EXODUS_MARCH


def test_figures_by_program_add_up_to_the_all_programs_total(desk):
    body = figures(desk, by="program", **MARCH)
    everything = figures(desk, **MARCH)["total"]

    for name in ("calls_handled", "resolved_without_police", "backup_requests", "referrals_made"):
        assert sum(row[name] for row in body["rows"]) == everything[name] == body["total"][name]
    by_type: dict = {}
    for row in body["rows"]:
        for key, count in row["calls_by_type"].items():
            by_type[key] = by_type.get(key, 0) + count
    assert by_type == everything["calls_by_type"]


def test_program_filter_gives_that_programs_figures(desk):
    body = figures(desk, program="circle", **MARCH)

    assert picked(body["total"], EXODUS_MARCH) == EXODUS_MARCH
    assert body["filters"]["program"] == "circle"


def test_unknown_program_is_a_400_naming_the_field(desk):
    response = desk.get(METRICS, {"program": "nope"})

    assert response.status_code == 400
    assert response.json() == {"program": ["No such program."]}


def test_by_month_gives_one_row_per_local_month(supervisor):
    rows = figures(supervisor, by="month", **{"from": "2025-02-01", "to": "2025-03-31"})["rows"]

    assert [row["group"] for row in rows] == ["2025-02-01", "2025-03-01"]


@pytest.mark.parametrize(
    "month,expected", [("2025-02-01", ALCOTT_FEBRUARY), ("2025-03-01", ALCOTT_MARCH)]
)
def test_month_row_matches_the_hand_count(supervisor, month, expected):
    body = figures(supervisor, by="month", **{"from": "2025-02-01", "to": "2025-03-31"})
    rows = {row["group"]: row for row in body["rows"]}

    assert picked(rows[month], expected) == expected


def test_by_week_counts_calls_in_the_local_week_they_were_received(supervisor):
    rows = figures(supervisor, by="week", **MARCH)["rows"]

    handled = {row["group"]: row["calls_handled"] for row in rows if row["calls_handled"]}
    assert handled == {"2025-03-03": 1, "2025-03-10": 1, "2025-03-17": 1, "2025-03-31": 1}


def test_grouped_request_keeps_the_whole_period_total(supervisor):
    body = figures(supervisor, by="division", **MARCH)

    assert picked(body["total"], ALCOTT_MARCH) == ALCOTT_MARCH


# --- who sees what ----------------------------------------------------------------------------


def test_desk_sees_every_provider(desk):
    total = figures(desk, **MARCH)["total"]

    assert picked(total, ALL_MARCH) == ALL_MARCH


def test_desk_may_pick_one_provider(desk):
    total = figures(desk, provider="exodus", **MARCH)["total"]

    assert picked(total, EXODUS_MARCH) == EXODUS_MARCH


def test_supervisor_naming_own_provider_sees_its_figures(supervisor):
    total = figures(supervisor, provider="alcott", **MARCH)["total"]

    assert total["calls_handled"] == ALCOTT_MARCH["calls_handled"]


def test_supervisor_naming_another_provider_gets_404(supervisor):
    response = supervisor.get(METRICS, {"provider": "exodus", **MARCH})

    assert response.status_code == 404
    assert "calls_handled" not in response.content.decode()


def test_unknown_provider_gets_404(desk):
    response = desk.get(METRICS, {"provider": "nobody", **MARCH})

    assert response.status_code == 404


def test_case_manager_sees_own_provider(program):
    client = client_for(CaseManagerFactory(provider=program["exodus"]))

    total = figures(client, **MARCH)["total"]

    assert total["calls_handled"] == EXODUS_MARCH["calls_handled"]


def test_clinician_gets_403(program):
    client = client_for(ClinicianFactory(provider=program["alcott"]))

    response = client.get(METRICS, MARCH)

    assert response.status_code == 403
    assert "calls_handled" not in response.content.decode()


def test_anonymous_gets_401(api_client, program):
    response = api_client.get(METRICS, MARCH)

    assert response.status_code == 401


# --- CSV ------------------------------------------------------------------------------------


def csv_lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_format_csv_returns_csv(supervisor):
    response = supervisor.get(METRICS, {"format": "csv", **MARCH})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_accept_text_csv_returns_csv(supervisor):
    response = supervisor.get(METRICS, MARCH, HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_csv_starts_with_a_header_row(supervisor):
    lines = csv_lines(supervisor.get(METRICS, {"format": "csv", **MARCH}))

    assert lines[0][0] == "group"
    assert {"calls_handled", "backup_rate", "estimated_savings"} <= set(lines[0])


def test_csv_last_line_carries_the_totals(supervisor):
    lines = csv_lines(supervisor.get(METRICS, {"format": "csv", **MARCH}))

    total = dict(zip(lines[0], lines[-1], strict=True))
    assert (total["calls_handled"], total["estimated_savings"]) == ("4", "200.0")


def test_csv_total_line_is_labelled_total(supervisor):
    lines = csv_lines(supervisor.get(METRICS, {"format": "csv", **MARCH}))

    assert lines[-1][0] == "total"


def test_csv_flattens_counts_by_key(supervisor):
    lines = csv_lines(supervisor.get(METRICS, MARCH, HTTP_ACCEPT="text/csv"))

    total = dict(zip(lines[0], lines[-1], strict=True))
    assert total["calls_by_type:welfare_check"] == "2"
    assert total["backup_requests_by_reason:weapon_seen"] == "1"


def test_csv_has_one_line_per_group_before_the_total(supervisor):
    lines = csv_lines(supervisor.get(METRICS, {"format": "csv", "by": "division", **MARCH}))

    column = lines[0].index("calls_handled")
    assert [(line[0], line[column]) for line in lines[1:]] == [
        ("OLY", "2"),
        ("WIL", "2"),
        (lines[-1][0], "4"),
    ]


def test_grouped_csv_total_line_is_labelled_total(supervisor):
    lines = csv_lines(supervisor.get(METRICS, {"format": "csv", "by": "division", **MARCH}))

    assert [line[0] for line in lines[1:]] == ["OLY", "WIL", "total"]


# --- bad parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,field",
    [
        pytest.param({"from": "2025-04-01", "to": "2025-03-01"}, "from", id="from_after_to"),
        pytest.param({"by": "year"}, "by", id="by_year"),
        pytest.param({"from": "2025-02-30"}, "from", id="impossible_date"),
        pytest.param({"to": "last tuesday"}, "to", id="not_a_date"),
        pytest.param({"from": "0001-01-01", "to": "0001-01-01"}, "from", id="year_one"),
        pytest.param({"from": "9999-01-01", "to": "9999-12-31"}, "from", id="year_9999"),
        pytest.param({"to": "0001-01-01"}, "to", id="to_year_one_from_a_year_before"),
        pytest.param({"division": "ZZZ"}, "division", id="unknown_division"),
        pytest.param({"team_rate": "-5"}, "team_rate", id="negative_rate"),
        pytest.param({"police_rate": "lots"}, "police_rate", id="rate_not_a_number"),
    ],
)
def test_bad_parameter_is_400_naming_it(supervisor, params, field):
    response = supervisor.get(METRICS, {**MARCH, **params})

    assert response.status_code == 400
    assert field in response.json()


# --- a fixed number of queries ----------------------------------------------------------------


def program_of_size(n: int):
    """n handled calls in each of two divisions, each with a backup request, a follow-up
    and a referral, plus n open calls; returns the supervisor's client."""
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    divisions = [DivisionFactory(), DivisionFactory()]
    for i in range(n):
        for division in divisions:
            call = timed_call(
                team=team,
                division=division,
                received_at=local(2025, 3, 1 + i % 28, 10),
                response=10 + i,
                on_scene=20 + i,
            )
            backup(call, BackupReason.PERSON_REQUESTS_OFFICER, BackupStatus.RESOLVED)
            followup(
                call, local(2025, 3, 1 + i % 28, 18), FollowUpStatus.COMPLETED, local(2025, 3, 2)
            )
            referral(call, ServiceCategory.HOUSING, ReferralStatus.ENROLLED, local(2025, 3, 5))
        timed_call(
            team=team,
            division=divisions[0],
            received_at=local(2025, 3, 9),
            response=5,
            cleared=False,
        )
    return client_for(SupervisorFactory(provider=provider))


def count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(METRICS, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("by", [None, "division", "week"])
def test_query_count_does_not_grow_with_the_data(by):
    params = {**MARCH, **({"by": by} if by else {})}
    small = count_queries(program_of_size(1), **params)

    large = count_queries(program_of_size(10), **params)

    assert large == small
