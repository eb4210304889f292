"""The live board in a real browser (headless Chromium): the desk signs in, sees the open
calls, and sees a new call and a police-backup request appear without reloading the page,
sees a missed check-in highlighted without a reload and acknowledges it; a supervisor sees
only their own provider's calls."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from calls.checkins import run_check_in_timers
from calls.choices import BackupStatus, CallStatus
from calls.models import SafetyAlert
from tests.calls import routing_helpers
from tests.calls.routing_helpers import SYNC_DB
from tests.factories import (
    DEMO_PASSWORD,
    BackupRequestFactory,
    CallFactory,
    DispatcherFactory,
    ProviderFactory,
    SupervisorFactory,
    TeamFactory,
)

pytestmark = SYNC_DB
migration_data = routing_helpers.migration_data
sync_counter = routing_helpers.sync_counter

WAIT = 15  # seconds: the board asks for its body every 3


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/board/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.ID, "calls"))


def shown(browser, selector: str) -> list[str]:
    # Read in one script: the board swaps its body every 3 s, and an element found a moment
    # before may be gone by the time its text is read.
    return browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);",
        selector,
    )


@pytest.fixture
def alcott_team(sync_counter):
    return TeamFactory(provider=ProviderFactory(slug="alcott"), call_sign="ALCOTT-1")


def test_the_desk_sees_a_new_call_and_a_backup_request_without_a_reload(
    browser, live_server, alcott_team
):
    CallFactory(team=alcott_team, cad_incident_number="CAD-FIRST", status=CallStatus.DISPATCHED)
    DispatcherFactory(user__username="desk")
    sign_in(browser, live_server, "desk")
    assert any("CAD-FIRST" in row for row in shown(browser, "tr.call"))
    browser.execute_script("window.notReloaded = true;")

    call = CallFactory(
        team=alcott_team, cad_incident_number="CAD-SECOND", status=CallStatus.ON_SCENE
    )
    BackupRequestFactory(
        call=call, status=BackupStatus.REQUESTED, occurred_at=timezone.now() - timedelta(minutes=1)
    )

    WebDriverWait(browser, WAIT).until(
        lambda b: any("CAD-SECOND" in row for row in shown(b, "tr.call"))
    )
    WebDriverWait(browser, WAIT).until(lambda b: shown(b, "#alerts li.backup"))
    assert browser.execute_script("return window.notReloaded === true;")
    assert "ALCOTT-1" in shown(browser, "#alerts li.backup")[0]


def test_a_supervisor_sees_only_their_providers_calls(browser, live_server, alcott_team):
    CallFactory(team=alcott_team, cad_incident_number="CAD-ALCOTT", status=CallStatus.DISPATCHED)
    exodus = TeamFactory(provider=ProviderFactory(slug="exodus"), call_sign="EXODUS-1")
    CallFactory(team=exodus, cad_incident_number="CAD-EXODUS", status=CallStatus.DISPATCHED)
    SupervisorFactory(provider=alcott_team.provider, user__username="alcott-supervisor")

    sign_in(browser, live_server, "alcott-supervisor")

    rows = " ".join(shown(browser, "tr.call"))
    assert "CAD-ALCOTT" in rows and "CAD-EXODUS" not in rows
    assert shown(browser, "tr.team") and all("EXODUS" not in t for t in shown(browser, "tr.team"))


def test_the_desk_sees_a_missed_check_in_without_a_reload_and_acknowledges_it(
    browser, live_server, alcott_team
):
    arrived = timezone.now() - timedelta(minutes=30)
    call = CallFactory(
        team=alcott_team,
        cad_incident_number="CAD-SCENE",
        status=CallStatus.ON_SCENE,
        on_scene_at=arrived,
    )
    DispatcherFactory(user__username="desk")
    sign_in(browser, live_server, "desk")
    assert not shown(browser, "#safety-alerts li.safety-alert")
    assert any("overdue" in row for row in shown(browser, "tr.check-in-late"))
    browser.execute_script("window.notReloaded = true;")

    run_check_in_timers()  # the schedule's minute comes: the check-in is missed

    WebDriverWait(browser, WAIT).until(lambda b: shown(b, "#safety-alerts li.safety-alert"))
    assert browser.execute_script("return window.notReloaded === true;")
    assert "ALCOTT-1" in shown(browser, "#safety-alerts li.safety-alert")[0]
    assert call.address in shown(browser, "#safety-alerts li.safety-alert")[0]

    # Found and clicked in one script, for the same reason.
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script(
            "const button = document.querySelector('#safety-alerts button.acknowledge');"
            "if (!button) return false; button.click(); return true;"
        )
    )

    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_elements(By.ID, "calls") and not shown(b, "#safety-alerts li")
    )
    alert = SafetyAlert.objects.get(call=call)
    assert alert.acknowledged_by.username == "desk"
