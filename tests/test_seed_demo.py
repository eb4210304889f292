"""`manage.py seed_demo`: the Los Angeles demo the README promises, loaded once however
often it runs, with the figures issue 2 names (about 300 calls, about 96% without police,
about 4% with a backup request, shifts around the clock for the coming week, open calls for
each demo pair)."""

import io
from contextlib import nullcontext
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from calls.choices import OPEN_STATUSES, CallStatus
from calls.models import BackupRequest, Call, Note, Outcome, StatusEvent
from demo import data as demo_data
from followups.models import FollowUp
from referrals.choices import ServiceCategory
from referrals.models import Referral, Service, validate_hours
from responders.models import Coverage, Division, Program, Provider, Responder, Shift, Team
from responders.selectors import current_shift

pytestmark = pytest.mark.django_db

MODELS = [
    Provider,
    Division,
    Coverage,
    Team,
    Responder,
    Shift,
    Service,
    Call,
    StatusEvent,
    Note,
    Outcome,
    BackupRequest,
    FollowUp,
    Referral,
]


LOS_ANGELES = ZoneInfo("America/Los_Angeles")
PROVIDERS = ("alcott", "pennylane", "exodus")


def seed(*, at: datetime | None = None) -> str:
    """Run seed_demo, at a given moment if asked (the clock frozen for the command, with a
    short history to keep the test quick)."""
    out = io.StringIO()
    with mock.patch.object(timezone, "now", return_value=at) if at else nullcontext():
        call_command(
            "seed_demo", "--calls", "20" if at else "300", stdout=out, stderr=io.StringIO()
        )
    return out.getvalue()


def advertised_team(slug: str) -> Team:
    return Responder.objects.get(user__username=f"{slug}.clinician1").team


def assert_one_team_on_shift_at_a_time_for_a_week(provider: Provider, since: datetime):
    """Of the provider's UMCR teams (its teams in other programs keep their own rota)."""
    shifts = list(
        Shift.objects.filter(
            team__provider=provider, team__program__slug="umcr", ends_at__gt=since
        ).order_by("starts_at")
    )
    assert shifts[0].starts_at <= since
    for earlier, later in zip(shifts, shifts[1:], strict=False):
        assert later.starts_at == earlier.ends_at, (earlier, later)  # no gap, no overlap
        assert later.team_id != earlier.team_id
    assert shifts[-1].ends_at >= since + timedelta(days=7)


@pytest.fixture
def seeded():
    return seed()


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_twice_adds_nothing_the_second_time(seeded):
    first = counts()

    seed()

    assert counts() == first


def test_the_three_providers_six_divisions_and_their_coverage(seeded):
    assert Provider.objects.count() == 3
    umcr = Coverage.objects.filter(program__slug="umcr")
    assert set(umcr.values_list("division__code", flat=True)) == {
        "WIL",
        "OLY",
        "DEV",
        "WVA",
        "SE",
        "WLA",
    }
    covered = set(Coverage.objects.values_list("division__code", flat=True))
    assert covered == set(Division.objects.values_list("code", flat=True))


def test_three_programs_side_by_side_each_with_coverage_and_a_team_on_shift(seeded):
    now = timezone.now()
    for program in Program.objects.all():
        assert program.coverages.exists(), program
        # An open call of its own, from a source it takes, for its team to show.
        open_call = Call.objects.filter(program=program, status__in=OPEN_STATUSES).first()
        assert open_call is not None and open_call.source in program.sources, program
        assert open_call.team.program == program
        assert Shift.objects.filter(
            team__program=program, starts_at__lte=now, ends_at__gt=now
        ).exists(), program
    assert sorted(Program.objects.values_list("slug", flat=True)) == [
        "circle",
        "transport",
        "umcr",
    ]
    # A provider may serve several programs: Exodus runs UMCR pairs and outreach teams.
    assert set(
        Team.objects.filter(provider__slug="exodus").values_list("program__slug", flat=True)
    ) == {"umcr", "circle"}


def test_every_provider_has_two_teams_on_shift_around_the_clock_for_the_coming_week(seeded):
    now = timezone.now()
    for provider in Provider.objects.all():
        teams = Team.objects.filter(provider=provider, is_active=True)
        assert teams.count() >= 2
        shifts = Shift.objects.filter(team__provider=provider, ends_at__gt=now).order_by(
            "starts_at"
        )
        assert shifts.first().starts_at <= now
        covered_until = now
        for shift in shifts:
            if shift.starts_at <= covered_until:
                covered_until = max(covered_until, shift.ends_at)
        assert covered_until >= now + timedelta(days=7), provider


def test_the_history_holds_about_300_calls_nearly_all_without_police(seeded):
    history = Call.objects.filter(cad_incident_number__startswith="DEMO-").exclude(
        cad_incident_number__startswith="DEMO-OPEN-"
    )
    handled = history.filter(status=CallStatus.CLEARED)
    without_police = handled.filter(police_involved=False).count() / handled.count()
    with_backup = history.filter(backup_requests__isnull=False).distinct().count()

    assert 280 <= history.count() <= 320
    assert 0.94 <= without_police <= 0.98
    assert 0.02 <= with_backup / history.count() <= 0.06
    assert FollowUp.objects.exists() and Referral.objects.exists()


def test_at_least_30_services_across_every_category_with_valid_hours(seeded):
    services = Service.objects.all()

    assert services.count() >= 30
    assert {s.category for s in services} == set(ServiceCategory.values)
    for service in services:
        validate_hours(service.hours)


def test_each_demo_pair_has_open_calls_just_dispatched_acknowledged_and_on_scene(seeded):
    for slug in ("alcott", "pennylane", "exodus"):
        clinician = Responder.objects.get(user__username=f"{slug}.clinician1")
        partner = Responder.objects.get(user__username=f"{slug}.clinician2")
        assert clinician.team_id == partner.team_id is not None
        states = set(
            Call.objects.filter(
                team=clinician.team, cad_incident_number__startswith="DEMO-OPEN-"
            ).values_list("status", flat=True)
        )
        assert states == {CallStatus.DISPATCHED, CallStatus.ACKNOWLEDGED, CallStatus.ON_SCENE}


def test_every_demo_sign_in_works_with_the_demo_password_and_is_printed(seeded):
    usernames = ["desk.dispatcher"] + [
        f"{slug}.{who}"
        for slug in PROVIDERS
        for who in (
            "clinician1",
            "clinician2",
            "clinician3",
            "clinician4",
            "supervisor",
            "casemanager",
        )
    ]

    for username in usernames:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(demo_data.PASSWORD) and user.is_active, username
        assert username in seeded


@pytest.mark.parametrize(
    "hours",
    [
        # Local times the demo is opened; each list is one database seeded again and again.
        [(8, 51), (20, 51)],
        [(19, 5), (19, 40), (6, 59)],
        [(0, 30), (12, 0)],
    ],
)
def test_the_advertised_pair_is_on_shift_whenever_the_demo_is_seeded(hours):
    day = datetime(2026, 11, 3, tzinfo=LOS_ANGELES)
    for hour, minute in hours:
        at = day.replace(hour=hour, minute=minute)
        if hour < 7:
            at += timedelta(days=1)  # the next morning

        seed(at=at)

        for slug in PROVIDERS:
            assert current_shift(team=advertised_team(slug), at=at) is not None, (slug, at)
            assert_one_team_on_shift_at_a_time_for_a_week(Provider.objects.get(slug=slug), at)


def test_seeding_again_while_the_pair_is_on_shift_keeps_the_rota():
    at = datetime(2026, 11, 3, 8, 51, tzinfo=LOS_ANGELES)
    seed(at=at)
    rota = set(Shift.objects.values_list("team_id", "starts_at", "ends_at"))

    seed(at=at + timedelta(hours=3))

    assert set(Shift.objects.values_list("team_id", "starts_at", "ends_at")) == rota


def test_the_advertised_pair_sees_its_shift_on_me_after_signing_in(seeded):
    client = APIClient()
    signed_in = client.post(
        "/api/v1/auth/login/",
        {"username": "alcott.clinician1", "password": demo_data.PASSWORD, "device_name": "Phone"},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}")

    me = client.get("/api/v1/me/").json()

    assert me["team"]["call_sign"] == "ALCOTT-1"
    assert me["current_shift"] is not None


def test_every_team_is_printed_with_its_members_and_whether_on_shift(seeded):
    for slug in PROVIDERS:
        tag = slug.upper()
        assert (
            f"{tag}-1 (the demo pair, with open calls): {slug}.clinician1, {slug}.clinician2; "
            "on shift now" in seeded
        )
        assert f"{tag}-2: {slug}.clinician3, {slug}.clinician4; off shift now" in seeded
