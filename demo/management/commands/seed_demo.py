"""`manage.py seed_demo [--calls N]`: load the Los Angeles demo deployment.

Idempotent: rows are found by natural keys (usernames, call signs, CAD numbers) and only
what is missing is added, so running it twice changes nothing and `--calls 100000` after
a default run only adds the difference. Call history is written in bulk, with a progress
bar, so benchmark-sized data takes minutes, not hours. Not for production data.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from tqdm import tqdm

from calls.choices import (
    BackupStatus,
    CallSource,
    CallStatus,
    Disposition,
    EventKind,
    Priority,
    SafetyFlag,
)
from calls.models import BackupRequest, Call, Note, Outcome, Person, StatusEvent, normalise_address
from calls.services import apply_call_state, refresh_call_state
from demo import data as demo_data
from followups.choices import FollowUpKind, FollowUpStatus
from followups.models import FollowUp
from referrals.choices import ConsentMethod, ReferralStatus
from referrals.models import Referral, ReferralStatusChange, Service
from responders.choices import Role
from responders.models import Coverage, Division, Program, Provider, Responder, Shift, Team
from responders.selectors import current_shift

HISTORY_PREFIX = "DEMO-"
OPEN_PREFIX = "DEMO-OPEN-"
BATCH = 1000
COVERAGE_START = date(2024, 1, 1)
GOLDEN_RATIO_CONJUGATE = 0.6180339887498949
SHIFT_LENGTH = timedelta(hours=12)
SHIFT_SLOTS = 2 * 8 + 1  # eight days and a half from the advertised pair's shift


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


class Command(BaseCommand):
    help = "Load the Los Angeles demo deployment (idempotent); --calls N scales the history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--calls",
            type=int,
            default=300,
            help="How many past calls the demo history holds in all (default 300).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args, calls: int, no_progress: bool, **options):
        self.now = timezone.now()
        self.show_progress = not no_progress
        with transaction.atomic():
            providers = self.seed_organisation()
            self.seed_services()
            self.seed_open_calls(providers)
        self.seed_history(providers, total=calls)
        self.report(providers)

    # --- organisation ---------------------------------------------------------------------

    def seed_programs(self) -> dict[str, Program]:
        return {
            slug: Program.objects.get_or_create(slug=slug, defaults=fields)[0]
            for slug, fields in demo_data.PROGRAMS.items()
        }

    def seed_organisation(self) -> list[dict]:
        """Programs, providers, divisions, coverage, teams, people who sign in, and a week of
        shifts. The UMCR entries (one per provider) carry the history and the demo pairs;
        the other programs get a team each, on shift around the clock."""
        password = make_password(demo_data.PASSWORD)
        programs = self.seed_programs()
        umcr = programs["umcr"]
        providers = []
        for slug, name, divisions, centre in demo_data.PROVIDERS:
            provider, _ = Provider.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "alert_email": f"supervisors@{slug}.example.org"},
            )
            division_rows = []
            for division_name, code in divisions:
                division, _ = Division.objects.get_or_create(
                    code=code, defaults={"name": division_name}
                )
                Coverage.objects.get_or_create(
                    program=umcr,
                    division=division,
                    starts_on=COVERAGE_START,
                    defaults={"provider": provider},
                )
                division_rows.append(division)
            teams = []
            for number in (1, 2):
                team, _ = Team.objects.get_or_create(
                    call_sign=f"{slug.upper()}-{number}",
                    defaults={"provider": provider, "program": umcr},
                )
                team.divisions.add(*division_rows)
                teams.append(team)
                for seat in (1, 2):
                    index = (number - 1) * 2 + seat
                    self.ensure_responder(
                        f"{slug}.clinician{index}", password, provider, Role.CLINICIAN, team
                    )
            supervisor = self.ensure_responder(
                f"{slug}.supervisor", password, provider, Role.SUPERVISOR, None
            )
            case_manager = self.ensure_responder(
                f"{slug}.casemanager", password, provider, Role.CASE_MANAGER, None
            )
            self.seed_shifts(teams)
            providers.append(
                {
                    "provider": provider,
                    "divisions": division_rows,
                    "teams": teams,
                    "centre": centre,
                    "supervisor": supervisor,
                    "case_manager": case_manager,
                    "clinicians": {
                        team.pk: list(
                            Responder.objects.filter(team=team)
                            .select_related("user")
                            .order_by("user__username")
                        )
                        for team in teams
                    },
                }
            )
        self.seed_program_teams(programs, password)
        self.ensure_responder("desk.dispatcher", password, None, Role.DISPATCHER, None)
        return providers

    def seed_program_teams(self, programs: dict[str, Program], password: str) -> None:
        """The other programs' coverage and teams: a provider may serve several programs."""
        for slug, provider_slug, call_sign, divisions in demo_data.PROGRAM_TEAMS:
            program = programs[slug]
            provider = Provider.objects.get(slug=provider_slug)
            division_rows = []
            for division_name, code in divisions:
                division, _ = Division.objects.get_or_create(
                    code=code, defaults={"name": division_name}
                )
                Coverage.objects.get_or_create(
                    program=program,
                    division=division,
                    starts_on=COVERAGE_START,
                    defaults={"provider": provider},
                )
                division_rows.append(division)
            team, _ = Team.objects.get_or_create(
                call_sign=call_sign, defaults={"provider": provider, "program": program}
            )
            team.divisions.add(*division_rows)
            handle = call_sign.lower().replace("-", "")
            for seat in demo_data.SEATS[program.team_makeup]:
                self.ensure_responder(f"{handle}.{seat}", password, provider, Role.CLINICIAN, team)
            self.seed_shifts([team])
            self.seed_program_call(program, team, division_rows[0])

    def seed_program_call(self, program: Program, team: Team, division: Division) -> None:
        """One open call of the program, from its own source, for its team to show: on
        scene when the program transports (a ride can start), just dispatched otherwise."""
        number = f"{OPEN_PREFIX}{team.call_sign}-1"
        source = program.sources[0]
        if Call.objects.filter(source=source, cad_incident_number=number).exists():
            return
        rng = random.Random(number)
        received_at = self.now - timedelta(minutes=25)
        entry = {"divisions": [division], "centre": (34.06, -118.33), "provider": team.provider}
        call = self.build_call(rng, entry, number, received_at, team)
        call.source, call.call_type = source, program.call_types[0]
        call.narrative = demo_data.PROGRAM_NARRATIVES[program.slug]
        call.priority = Priority.PROMPT
        call.save()
        kinds = [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED]
        if program.transports:
            kinds += [EventKind.EN_ROUTE, EventKind.ON_SCENE]
        clinician = Responder.objects.filter(team=team).order_by("user__username").first()
        events = [
            StatusEvent(
                call=call,
                kind=kind,
                occurred_at=received_at + timedelta(minutes=2 + 4 * step),
                responder=None if kind == EventKind.DISPATCHED else clinician,
            )
            for step, kind in enumerate(kinds)
        ]
        StatusEvent.objects.bulk_create(events)
        refresh_call_state(call=call, events=events)

    def ensure_responder(self, username, password, provider, role, team) -> Responder:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "password": password,
                "is_staff": role in (Role.SUPERVISOR, Role.CASE_MANAGER),
                "first_name": username.split(".")[1].rstrip("0123456789").replace("_", " ").title(),
                "email": f"{username}@example.org",
            },
        )
        responder, _ = Responder.objects.get_or_create(
            user=user,
            defaults={
                "provider": provider,
                "role": role,
                "team": team,
                "display_name": username,
            },
        )
        return responder

    def seed_shifts(self, teams: list[Team]) -> None:
        """A day/night rota of 12-hour shifts for eight days, laid so that the advertised
        pair (the first team) is on shift whenever the command runs: its shift began at the
        top of the hour the rota was first laid, and the other team takes the next 12 hours.

        While the advertised team is on shift, an existing rota is kept (and extended), so
        running the command again changes nothing. Run when that team is off shift, the
        rota is laid again from this hour: the shift in progress ends now and later ones go
        (demo shifts only; nothing refers to a shift)."""
        advertised = teams[0]
        on_duty = current_shift(team=advertised, at=self.now)
        if on_duty is not None:
            # Local time, so 12-hour steps keep the same wall-clock changeovers across DST.
            anchor = timezone.localtime(on_duty.starts_at)
        else:
            anchor = timezone.localtime(self.now).replace(minute=0, second=0, microsecond=0)
            rota = Shift.objects.filter(team__in=teams)
            rota.filter(starts_at__gte=anchor).delete()
            rota.filter(starts_at__lt=anchor, ends_at__gt=anchor).update(ends_at=anchor)
        for slot in range(SHIFT_SLOTS):
            starts_at = anchor + SHIFT_LENGTH * slot
            Shift.objects.get_or_create(
                team=teams[slot % len(teams)],
                starts_at=starts_at,
                defaults={"ends_at": starts_at + SHIFT_LENGTH},
            )

    def seed_services(self) -> None:
        divisions = list(Division.objects.all())
        rng = random.Random("services")
        for organization, name, category, hours, eligibility, capacity in demo_data.SERVICES:
            service, created = Service.objects.get_or_create(
                organization=organization,
                name=name,
                defaults={
                    "category": category,
                    "description": f"{name} by {organization} (fictional, for the demo).",
                    "address": (
                        f"{rng.randint(100, 9999)} {rng.choice(demo_data.STREETS)}, Los Angeles"
                    ),
                    "phone": f"(213) 555-{rng.randint(1000, 9999)}",
                    "hours": hours,
                    "hours_text": "24/7" if hours.get("always") else "Mon–Fri 8am–5pm",
                    "eligibility": eligibility,
                    "capacity": capacity,
                },
            )
            if created:
                service.divisions_served.set(rng.sample(divisions, k=min(3, len(divisions))))

    # --- open calls for the phone app ----------------------------------------------------------

    def seed_open_calls(self, providers: list[dict]) -> None:
        """Each demo pair (the first team of each provider) has three open calls: just
        dispatched, acknowledged, and on scene."""
        steps = [
            [EventKind.DISPATCHED],
            [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED],
            [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.EN_ROUTE, EventKind.ON_SCENE],
        ]
        for entry in providers:
            team = entry["teams"][0]
            clinician = entry["clinicians"][team.pk][0]
            for index, kinds in enumerate(steps, start=1):
                number = f"{OPEN_PREFIX}{team.call_sign}-{index}"
                if Call.objects.filter(
                    source=CallSource.CAD_911, cad_incident_number=number
                ).exists():
                    continue
                rng = random.Random(number)
                received_at = self.now - timedelta(minutes=15 * (4 - index))
                call = self.build_call(rng, entry, number, received_at, team)
                call.priority = [Priority.URGENT, Priority.PROMPT, Priority.ROUTINE][index - 1]
                call.save()
                events = []
                at = received_at + timedelta(minutes=2)
                for kind in kinds:
                    events.append(
                        StatusEvent(
                            call=call,
                            kind=kind,
                            occurred_at=at,
                            responder=None if kind == EventKind.DISPATCHED else clinician,
                        )
                    )
                    at += timedelta(minutes=3)
                StatusEvent.objects.bulk_create(events)
                if EventKind.ON_SCENE in kinds:
                    Note.objects.create(
                        call=call,
                        body="Arrived, person sitting on the steps, calm. Talking now.",
                        occurred_at=at,
                        responder=clinician,
                    )
                refresh_call_state(call=call, events=events)

    # --- history ----------------------------------------------------------------------------

    def seed_history(self, providers: list[dict], *, total: int) -> None:
        existing = Call.objects.filter(
            cad_incident_number__startswith=HISTORY_PREFIX, source=CallSource.CAD_911
        ).exclude(cad_incident_number__startswith=OPEN_PREFIX)
        have = existing.count()
        if have >= total:
            return
        self.people_pool: dict[int, list[Person]] = {e["provider"].pk: [] for e in providers}
        self.services = list(Service.objects.all())
        bar = tqdm(
            total=total - have,
            desc="demo calls",
            unit="call",
            disable=not self.show_progress,
            file=self.stderr._out,
        )
        index = have + 1
        while index <= total:
            end = min(index + BATCH, total + 1)
            with transaction.atomic():
                self.write_batch(range(index, end), providers)
            bar.update(end - index)
            index = end
        bar.close()

    def write_batch(self, numbers: range, providers: list[dict]) -> None:
        rows: dict[str, list] = {
            "people": [],
            "calls": [],
            "events": [],
            "notes": [],
            "outcomes": [],
            "backups": [],
            "followups": [],
            "referrals": [],
            "history": [],
        }
        for number in numbers:
            self.build_history_call(number, providers, rows)
        Person.objects.bulk_create(rows["people"], batch_size=BATCH)
        Call.objects.bulk_create(rows["calls"], batch_size=BATCH)
        StatusEvent.objects.bulk_create(rows["events"], batch_size=BATCH)
        Note.objects.bulk_create(rows["notes"], batch_size=BATCH)
        Outcome.objects.bulk_create(rows["outcomes"], batch_size=BATCH)
        BackupRequest.objects.bulk_create(rows["backups"], batch_size=BATCH)
        FollowUp.objects.bulk_create(rows["followups"], batch_size=BATCH)
        Referral.objects.bulk_create(rows["referrals"], batch_size=BATCH)
        ReferralStatusChange.objects.bulk_create(rows["history"], batch_size=BATCH)

    def build_history_call(self, number: int, providers: list[dict], rows: dict) -> None:
        rng = random.Random(number)
        entry = providers[rng.randrange(len(providers))]
        team = rng.choice(entry["teams"])
        clinicians = entry["clinicians"][team.pk]
        received_at = self.now - timedelta(days=rng.uniform(0.5, 365), minutes=rng.randint(0, 59))
        call = self.build_call(rng, entry, f"{HISTORY_PREFIX}{number:07d}", received_at, team)

        person = self.pick_person(rng, entry, rows)
        call.person = person

        # A golden-ratio (Weyl) sequence spreads evenly over any run of numbers, so every
        # demo size has the program's shares: 4.1% with police backup, 3% cancelled.
        spread = (number * GOLDEN_RATIO_CONJUGATE) % 1.0
        needs_backup = spread < 0.041
        cancelled = 0.5 <= spread < 0.53
        events = []
        at = received_at + timedelta(minutes=rng.uniform(1, 6))
        plan = [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.EN_ROUTE]
        gaps = [rng.uniform(0.5, 2), rng.uniform(1, 3), rng.uniform(8, 35)]
        if cancelled:
            plan, gaps = (
                [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.CANCELLED],
                [
                    rng.uniform(1, 2),
                    rng.uniform(2, 10),
                    0,
                ],
            )
        else:
            disposition = (
                Disposition.HANDED_TO_POLICE
                if needs_backup and rng.random() < 0.6
                else weighted(rng, demo_data.DISPOSITION_WEIGHTS)
            )
            plan += [EventKind.ON_SCENE]
            gaps += [rng.uniform(15, 80)]
            if disposition == Disposition.TRANSPORTED_VOLUNTARILY:
                plan += [EventKind.TRANSPORTING]
                gaps += [rng.uniform(10, 30)]
            if disposition == Disposition.GONE_ON_ARRIVAL:
                gaps[-1] = rng.uniform(3, 10)
            plan += [EventKind.CLEARED]
            gaps += [0]
        for kind, gap in zip(plan, gaps, strict=True):
            author = (
                None
                if kind in (EventKind.DISPATCHED, EventKind.CANCELLED)
                else rng.choice(clinicians)
            )
            events.append(
                StatusEvent(call=call, kind=kind, occurred_at=at, responder=author, device=None)
            )
            at += timedelta(minutes=gap)
        # The call is bulk-created below, so its derived fields are set in memory here.
        apply_call_state(call, events)
        rows["calls"].append(call)
        rows["events"].extend(events)
        if cancelled:
            return

        on_scene_at, cleared_at = call.on_scene_at, call.cleared_at
        # Every call not cancelled was on scene and cleared (the plan above).
        assert on_scene_at is not None and cleared_at is not None
        for offset in range(rng.randint(1, 3)):
            rows["notes"].append(
                Note(
                    call=call,
                    body=rng.choice(demo_data.NOTE_BODIES),
                    occurred_at=on_scene_at + timedelta(minutes=3 + 4 * offset),
                    responder=rng.choice(clinicians),
                )
            )
        if needs_backup:
            reason = weighted(rng, demo_data.BACKUP_REASON_WEIGHTS)
            rows["backups"].append(
                BackupRequest(
                    call=call,
                    reason=reason,
                    details=demo_data.BACKUP_DETAILS[reason],
                    occurred_at=on_scene_at + timedelta(minutes=rng.uniform(1, 10)),
                    responder=rng.choice(clinicians),
                    status=BackupStatus.RESOLVED,
                    status_changed_at=on_scene_at + timedelta(minutes=25),
                )
            )
        rows["outcomes"].append(
            Outcome(
                call=call,
                disposition=disposition,
                police_involved=needs_backup,
                people_served=0 if disposition == Disposition.GONE_ON_ARRIVAL else 1,
                summary=f"{Disposition(disposition).label}.",
                occurred_at=cleared_at,
                responder=rng.choice(clinicians),
            )
        )
        call.disposition, call.police_involved = disposition, needs_backup
        if person is not None and disposition in (
            Disposition.REFERRED_TO_SERVICES,
            Disposition.RESOLVED_ON_SCENE,
            Disposition.TRANSPORTED_VOLUNTARILY,
        ):
            self.add_followup(rng, entry, call, person, team, rows)
        if disposition == Disposition.REFERRED_TO_SERVICES:
            self.add_referral(rng, entry, call, person, clinicians, rows)

    def build_call(self, rng, entry, number, received_at, team) -> Call:
        division = rng.choice(entry["divisions"])
        call_type = weighted(rng, demo_data.CALL_TYPE_WEIGHTS)
        lat, lon = entry["centre"]
        # A small set of addresses per division, so prior contacts at one place exist.
        house = rng.randint(1, 40) * 100 + rng.choice([0, 11, 25])
        streets = demo_data.STREETS[:12] if division.code < "S" else demo_data.STREETS[6:]
        address = f"{house} {rng.choice(streets)}"
        flags = []
        if rng.random() < 0.1:
            flags.append(rng.choice(SafetyFlag.values))
        return Call(
            program_id=team.program_id,
            source=CallSource.CAD_911,
            cad_incident_number=number,
            received_at=received_at,
            call_type=call_type,
            priority=weighted(
                rng, [(Priority.URGENT, 20), (Priority.PROMPT, 55), (Priority.ROUTINE, 25)]
            ),
            division=division,
            address=address,
            address_key=normalise_address(address),
            latitude=Decimal(f"{lat + rng.uniform(-0.04, 0.04):.6f}"),
            longitude=Decimal(f"{lon + rng.uniform(-0.04, 0.04):.6f}"),
            narrative=demo_data.NARRATIVES[call_type],
            caller_account=rng.choice(demo_data.CALLER_ACCOUNTS),
            safety_flags=flags,
            routed_provider=entry["provider"],
            team=team,
        )

    def pick_person(self, rng, entry, rows) -> Person | None:
        if rng.random() < 0.35:
            return None  # often nobody gives a name
        pool = self.people_pool[entry["provider"].pk]
        if pool and rng.random() < 0.3:
            return rng.choice(pool)
        person = Person(
            given_name=rng.choice(demo_data.GIVEN_NAMES),
            family_name=rng.choice(demo_data.FAMILY_NAMES),
            approximate_age=rng.randint(19, 78),
            provider=entry["provider"],
        )
        rows["people"].append(person)
        pool.append(person)
        if len(pool) > 2000:
            del pool[: len(pool) - 2000]
        return person

    def add_followup(self, rng, entry, call, person, team, rows) -> None:
        if rng.random() > 0.35:
            return
        not_before = call.cleared_at + timedelta(days=rng.randint(1, 5))
        due_by = not_before + timedelta(days=3)
        if due_by < self.now:
            status = FollowUpStatus.COMPLETED if rng.random() < 0.82 else FollowUpStatus.MISSED
            closed_at = due_by - timedelta(hours=rng.randint(1, 60))
        else:
            status, closed_at = FollowUpStatus.SCHEDULED, None
        by_team = rng.random() < 0.6
        rows["followups"].append(
            FollowUp(
                provider=entry["provider"],
                person=person,
                call=call,
                kind=rng.choice(FollowUpKind.values),
                purpose="Check in after the call; see how the referral went.",
                not_before=not_before,
                due_by=due_by,
                assigned_team=team if by_team else None,
                assigned_to=None if by_team else entry["case_manager"],
                status=status,
                closed_at=closed_at,
                outcome="Reached the person; doing better." if status == "completed" else "",
            )
        )

    def add_referral(self, rng, entry, call, person, clinicians, rows) -> None:
        service = rng.choice(self.services)
        path = [ReferralStatus.PROPOSED, ReferralStatus.SENT, ReferralStatus.ACCEPTED]
        ending = rng.choices(
            [
                ReferralStatus.ENROLLED,
                ReferralStatus.COMPLETED,
                ReferralStatus.DECLINED,
                ReferralStatus.NO_SHOW,
                ReferralStatus.UNREACHABLE,
                None,
            ],
            weights=[15, 35, 10, 12, 10, 18],
        )[0]
        if ending == ReferralStatus.COMPLETED:
            path += [ReferralStatus.ENROLLED, ReferralStatus.COMPLETED]
        elif ending is not None:
            path += [ending]
        at = call.cleared_at
        referred_by = rng.choice(clinicians)
        referral = Referral(
            provider=entry["provider"],
            person=person,
            call=call,
            service=service,
            status=path[-1],
            status_changed_at=at,
            consent_given=True,
            consent_method=ConsentMethod.VERBAL,
            consent_recorded_at=at,
            referred_by=referred_by,
            assigned_to=entry["case_manager"],
        )
        previous = ""
        for step in path:
            rows["history"].append(
                ReferralStatusChange(
                    referral=referral,
                    from_status=previous,
                    to_status=step,
                    changed_by=referred_by
                    if step == ReferralStatus.PROPOSED
                    else entry["case_manager"],
                    changed_at=at,
                )
            )
            previous = step
            referral.status_changed_at = at
            at = min(at + timedelta(days=rng.randint(1, 6)), self.now)
        rows["referrals"].append(referral)

    # --- helpers ------------------------------------------------------------------------------

    def report(self, providers: list[dict]) -> None:
        history = Call.objects.filter(cad_incident_number__startswith=HISTORY_PREFIX).exclude(
            cad_incident_number__startswith=OPEN_PREFIX
        )
        figures = history.aggregate(
            calls=Count("pk", distinct=True),
            with_police=Count("pk", filter=Q(outcomes__police_involved=True), distinct=True),
            with_backup=Count("pk", filter=Q(backup_requests__isnull=False), distinct=True),
            cleared=Count("pk", filter=Q(status=CallStatus.CLEARED), distinct=True),
        )
        total = figures["calls"] or 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {figures['calls']} calls in history "
                f"({figures['cleared']} cleared), "
                f"{100 - 100 * figures['with_police'] / total:.1f}% without police, "
                f"{100 * figures['with_backup'] / total:.1f}% with a backup request; "
                f"{Service.objects.count()} services; "
                f"{Shift.objects.filter(ends_at__gt=self.now).count()} shifts ahead."
            )
        )
        self.stdout.write(
            "Programs: "
            + "; ".join(f"{p.name} ({p.slug})" for p in Program.objects.filter(is_active=True))
        )
        self.stdout.write(f"Sign in with password '{demo_data.PASSWORD}' as:")
        for entry in providers:
            slug = entry["provider"].slug
            self.stdout.write(f"  {entry['provider'].name}")
            for index, team in enumerate(entry["teams"]):
                members = ", ".join(
                    responder.user.username for responder in entry["clinicians"][team.pk]
                )
                label = " (the demo pair, with open calls)" if index == 0 else ""
                self.stdout.write(f"    {team.call_sign}{label}: {members}; {self.duty(team)}")
            self.stdout.write(
                f"    supervisor: {slug}.supervisor, case manager: {slug}.casemanager (admin)"
            )
        for program in Program.objects.exclude(slug="umcr").prefetch_related(
            "teams__members__user", "coverages__division", "coverages__provider"
        ):
            self.stdout.write(f"  {program.name} ({program.get_team_makeup_display().lower()})")
            where = ", ".join(
                sorted({f"{c.division} by {c.provider.slug}" for c in program.coverages.all()})
            )
            for team in program.teams.all():
                members = ", ".join(sorted(m.user.username for m in team.members.all()))
                self.stdout.write(f"    {team.call_sign}: {members}; {self.duty(team)}; {where}")
        self.stdout.write("  Dispatch desk: desk.dispatcher")
        self.stdout.write(
            "Supervisors and case managers can use /admin/; the API docs are at /api/docs/."
        )

    def duty(self, team: Team) -> str:
        """Whether the team is on shift now, and until or from when (local time)."""
        shift = current_shift(team=team, at=self.now)
        if shift is not None:
            return f"on shift now, until {timezone.localtime(shift.ends_at):%a %H:%M}"
        upcoming = team.shifts.filter(starts_at__gt=self.now).order_by("starts_at").first()
        if upcoming is None:
            return "off shift, none ahead"
        return f"off shift now, next from {timezone.localtime(upcoming.starts_at):%a %H:%M}"
