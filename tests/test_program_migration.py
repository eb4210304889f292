"""Existing data migrates into the UMCR program (responders/0005, calls/0010): a deployment
that ran before programs were data keeps every coverage, team and call, now UMCR's, and
intake takes calls as before."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.calls import routing_helpers
from tests.calls.routing_helpers import SYNC_DB

# Migrations run outside a test transaction: real transactions, flushed after each test.
pytestmark = SYNC_DB
migration_data = routing_helpers.migration_data
sync_counter = routing_helpers.sync_counter

BEFORE = [
    ("responders", "0003_alter_responder_team"),
    ("calls", "0009_event_call_kind_arrival_idx"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_programs(sync_counter):
    old = migrate(BEFORE)
    yield old
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_coverage_teams_and_calls_become_umcrs(before_programs):
    old = before_programs
    provider = old.get_model("responders", "Provider").objects.create(name="Alcott", slug="a")
    division = old.get_model("responders", "Division").objects.create(name="Wilshire", code="W")
    old.get_model("responders", "Coverage").objects.create(
        provider=provider, division=division, starts_on="2024-01-01"
    )
    team = old.get_model("responders", "Team").objects.create(provider=provider, call_sign="A-1")
    old.get_model("calls", "Call").objects.create(
        source="cad_911",
        cad_incident_number="OLD-1",
        received_at="2025-01-01T10:00:00Z",
        call_type="welfare_check",
        division=division,
        address="1 Main St",
        address_key="1 main st",
        routed_provider=provider,
        team=team,
    )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    umcr = new.get_model("responders", "Program").objects.get()
    assert (umcr.slug, umcr.sources) == ("umcr", ["cad_911", "umcr_desk", "field"])
    assert "welfare_check" in umcr.call_types and "transport" not in umcr.call_types
    for model in ("Coverage", "Team"):
        rows = new.get_model("responders", model).objects.all()
        assert [row.program_id for row in rows] == [umcr.pk]
    assert [c.program_id for c in new.get_model("calls", "Call").objects.all()] == [umcr.pk]


def test_a_new_deployment_gets_no_program_it_did_not_ask_for(before_programs):
    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert not new.get_model("responders", "Program").objects.exists()
