"""The field app (/app/) in a real browser (headless Chromium), on PostgreSQL: a clinician
signs in, works a call online and offline (the browser's network switched off through the
DevTools protocol), reloads with no signal, and comes back online; the server then holds
each record once and the partner's phone receives them. Also: a police backup asked offline
goes first and reaches the desk's list (with the prior-contacts briefing read offline); a
record the server refuses is shown with its reason; a push whose answer is lost is sent
again with the same batch id and stored once; a clinician moved to another team hands in
the offline work and resyncs from null; a first sync pulls again while has_more; the
services directory is searched offline, and a follow-up and a referral made offline sync.
On scene: a due safety check-in prompts "All OK?" on every screen of the call, and the
answer reaches the server once; "need help" given offline goes first when the signal returns
(a responder-safety backup request); a note from the desk reaches the phone by sync with a
notice; a local copy of the schema-2 app pulls the new tables by a migration sync. The team's
availability set offline goes with the next push; position pings (geolocation granted and
set through the DevTools protocol) reach the team's last position; a ride recorded on the
server shows on the call screen.

With UMCR_SCREENSHOTS=<folder> set, the main screens are saved there at phone size
(docs/screenshots/ in the README)."""

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from calls.choices import BackupReason, CallStatus, CheckInAnswer, Disposition, EventKind
from calls.models import BackupRequest, Call, CheckIn, DeskNote, Note, Outcome, StatusEvent
from calls.services import assign_call, refresh_call_state
from field.views import ASSETS, asset_url
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from referrals.choices import ServiceCategory
from referrals.models import Referral
from responders.models import PositionPing, Team
from tests.browser.conftest import CHROMEDRIVER, CHROMIUM
from tests.calls import routing_helpers
from tests.calls.routing_helpers import SYNC_DB
from tests.factories import (
    DEMO_PASSWORD,
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    FollowUpFactory,
    PersonFactory,
    ProviderFactory,
    ServiceFactory,
    ShiftFactory,
    StatusEventFactory,
    TeamFactory,
    signed_in_client,
)
from transports.models import Transport
from transports.services import arrive, hand_off, refuse, start_transport
from umcr.models import QuarantinedRecord, SyncBatch

migration_data = routing_helpers.migration_data
sync_counter = routing_helpers.sync_counter

WAIT = 20  # seconds
PHONE_WIDTH = 360  # CSS pixels: the smallest phone the app is made for
SCREENSHOTS = os.environ.get("UMCR_SCREENSHOTS")


# --- the page, its worker and its manifest (no browser needed) ------------------------------


@pytest.mark.django_db
def test_the_app_page_names_its_manifest_and_its_module():
    response = Client().get("/app/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'rel="manifest" href="/app/manifest.webmanifest"' in page
    assert f'type="module" src="{asset_url("app.js")}"' in page
    assert response["Cache-Control"] == "no-cache"


@pytest.mark.django_db
def test_the_service_worker_is_scoped_to_the_app_and_caches_every_asset():
    response = Client().get("/app/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    for name in ASSETS:
        assert f'"{asset_url(name)}"' in body
        assert finders.find(f"field/{name}"), f"field/{name} is not a static file"
    assert '"/app/"' in body


@pytest.mark.django_db
def test_the_manifest_makes_the_app_installable():
    response = Client().get("/app/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


# --- helpers --------------------------------------------------------------------------------


def new_browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium and chromium-driver are missing: .ci/run installs them.")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install ...)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=390,844")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    # A phone's screen, whatever the smallest window the headless browser allows.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


@pytest.fixture
def phone():
    drivers = []

    def make():
        driver = new_browser()
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


def set_offline(browser, offline: bool) -> None:
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def wait(browser, condition, timeout: float = WAIT):
    # The screens are redrawn after each sync: an element read a moment ago may be gone.
    return WebDriverWait(
        browser, timeout, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition)


def element(browser, selector: str):
    return wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, selector))[0]


def tap(browser, target) -> None:
    """Scroll the control to the middle of the screen (clear of the backup bar), then tap;
    a control given by its selector is found again if a redraw replaced it meanwhile."""

    def tapped(b) -> bool:
        found = b.find_elements(By.CSS_SELECTOR, target) if isinstance(target, str) else [target]
        if not found:
            return False
        b.execute_script("arguments[0].scrollIntoView({block: 'center'});", found[0])
        found[0].click()
        return True

    wait(browser, tapped)


def texts(browser, selector: str) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);", selector
    )


def text(browser, selector: str) -> str:
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, selector))
    return " ".join(texts(browser, selector))


def indicator(browser) -> dict:
    return browser.execute_script(
        "const i = document.getElementById('sync-indicator');"
        "return {pending: i.dataset.pending, syncing: i.dataset.syncing, text: i.textContent};"
    )


def wait_all_sent(browser) -> None:
    wait(browser, lambda b: indicator(b)["pending"] == "0" and indicator(b)["syncing"] == "0")


def wait_pending(browser, count: int) -> None:
    wait(browser, lambda b: indicator(b)["pending"] == str(count))


def snap(browser, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/app/")
    element(browser, "#username").send_keys(username)
    element(browser, "#password").send_keys(DEMO_PASSWORD)
    assert element(browser, "#device-name").get_attribute("value"), "the device name is prefilled"
    snap(browser, "1-sign-in")
    assert_accessible(browser)
    tap(browser, "#sign-in")
    element(browser, "#open-calls")
    wait_all_sent(browser)


def open_call(browser, call: Call) -> None:
    browser.execute_script(f"location.hash = '#/call/{call.pk}'")
    wait(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, f'article.call-detail[data-id="{call.pk}"]'),
    )


def status_shown(browser) -> str:
    return text(browser, "#status")


def next_step(browser, words: str) -> None:
    button = wait(
        browser,
        lambda b: [e for e in b.find_elements(By.ID, "next-step") if e.text == words],
    )[0]
    tap(browser, button)


def write_note(browser, call: Call, body: str) -> None:
    tap(browser, "#write-note")
    element(browser, "#note-body").send_keys(body)
    tap(browser, "#save-note")
    wait(browser, lambda b: body in " ".join(texts(b, "#notes li.note .body")))


UNLABELLED_OR_SMALL = """
const problems = [];
for (const control of document.querySelectorAll("main input, main select, main textarea, #dialog input")) {
  if (!control.id || !document.querySelector(`label[for="${control.id}"]`)) problems.push(`no label: ${control.outerHTML}`);
}
for (const target of document.querySelectorAll("button, a.button, a.card")) {
  const box = target.getBoundingClientRect();
  if (box.width && box.height < 44) problems.push(`under 44 px: ${target.outerHTML.slice(0, 80)}`);
}
return problems;
"""


def assert_accessible(browser) -> None:
    """Every control of the screen has its label; every button is a large tap target."""
    assert browser.execute_script(UNLABELLED_OR_SMALL) == []


def assert_fits_with_large_text(browser) -> None:
    """With the text twice as large (a system font size enlarged), nothing runs off the side."""
    width = browser.execute_script(
        "document.documentElement.style.fontSize = '200%';"
        "const width = document.documentElement.scrollWidth;"
        "document.documentElement.style.fontSize = '';"
        "return width;"
    )
    assert width <= PHONE_WIDTH


def wait_for_service_worker(browser) -> None:
    wait(browser, lambda b: b.execute_script("return !!navigator.serviceWorker.controller"))


def fetch_fails(browser) -> bool:
    return browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v1/me/', {cache: 'no-store'}).then(() => done(false), () => done(true));"
    )


def call_with_events(team, kinds: list[str], **fields) -> Call:
    """An open call of `team` whose status follows from its events, as the server derives it."""
    start = timezone.now() - timedelta(minutes=30)
    call = CallFactory(team=team, received_at=start, status=CallStatus.PENDING, **fields)
    for minutes, kind in enumerate(kinds, start=1):
        StatusEventFactory(call=call, kind=kind, occurred_at=start + timedelta(minutes=minutes))
    return refresh_call_state(call=call)


@pytest.fixture
def pair(sync_counter):
    """The demo's first pair: two clinicians of ALCOTT-1, on shift, and the team beside it."""
    team = TeamFactory(provider=ProviderFactory(slug="alcott"), call_sign="ALCOTT-1")
    ShiftFactory(team=team)
    first = ClinicianFactory(team=team, user__username="alcott.clinician1")
    second = ClinicianFactory(team=team, user__username="alcott.clinician2")
    return team, first, second


# --- the field app in a browser ------------------------------------------------------------


@SYNC_DB
def test_a_shift_online_then_offline_reaches_the_server_once_and_the_partner(
    phone, live_server, pair
):
    team, _, _ = pair
    working = call_with_events(
        team,
        [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED],
        priority=2,
        address="5800 Wilshire Blvd",
        narrative="Man in the bus shelter for hours, not responding.",
        safety_flags=["intoxicated"],
    )
    urgent = call_with_events(team, [EventKind.DISPATCHED], priority=1, address="511 W Olympic")
    browser = phone()

    sign_in(browser, live_server, "alcott.clinician1")
    open_rows = browser.find_elements(By.CSS_SELECTOR, "#open-calls li.call")
    assert [row.get_attribute("data-id") for row in open_rows] == [str(urgent.pk), str(working.pk)]
    snap(browser, "2-my-calls")
    assert_accessible(browser)
    assert_fits_with_large_text(browser)

    # The partner's phone signs in now and syncs once; it hears of today's work later.
    partner = phone()
    sign_in(partner, live_server, "alcott.clinician2")

    # Online: en route, on scene, a note; each reaches the server at once.
    open_call(browser, working)
    next_step(browser, "En route")
    wait(browser, lambda b: status_shown(b) == "En route")
    next_step(browser, "On scene")
    wait(browser, lambda b: status_shown(b) == "On scene")
    wait_all_sent(browser)
    write_note(browser, working, "Arrived; he is awake and talking.")
    wait_all_sent(browser)
    working.refresh_from_db()
    assert working.status == CallStatus.ON_SCENE
    assert Note.objects.filter(call=working).count() == 1
    snap(browser, "3-call-on-scene")
    assert_accessible(browser)
    assert_fits_with_large_text(browser)

    # Offline: two notes, the outcome, clear the call.
    wait_for_service_worker(browser)
    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    assert fetch_fails(browser)
    write_note(browser, working, "Offline one: accepted water and a blanket.")
    write_note(browser, working, "Offline two: agreed to go to the shelter tomorrow.")
    next_step(browser, "Clear the call")  # no outcome yet: the form comes first
    Select(element(browser, "#disposition")).select_by_value(Disposition.RESOLVED_ON_SCENE)
    people = element(browser, "#people-served")
    people.clear()
    people.send_keys("2")
    element(browser, "#summary").send_keys("De-escalated; referred to the shelter.")
    snap(browser, "5-outcome")
    assert_accessible(browser)
    tap(browser, "#save-outcome")
    wait(browser, lambda b: "Resolved on scene" in text(b, "#outcome"))
    next_step(browser, "Clear the call")
    wait(browser, lambda b: status_shown(b) == "Cleared")
    wait_pending(browser, 4)
    assert "Offline" in indicator(browser)["text"]
    snap(browser, "4-call-offline")

    # Reload with no signal: the service worker serves the app, IndexedDB the records.
    browser.refresh()
    wait(browser, lambda b: b.execute_script("return document.body.dataset.ready === '1'"))
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, f'article[data-id="{working.pk}"]'))
    notes = " ".join(texts(browser, "#notes li.note .body"))
    assert "Offline one" in notes and "Offline two" in notes and "Arrived" in notes
    assert "Resolved on scene" in text(browser, "#outcome")
    assert status_shown(browser) == "Cleared"
    assert indicator(browser)["pending"] == "4"
    assert fetch_fails(browser)
    assert Note.objects.filter(call=working).count() == 1  # nothing reached the server

    # Back online: everything goes, once, and a second sync sends nothing again.
    set_offline(browser, False)
    wait_all_sent(browser)
    tap(browser, "#sync-indicator")
    wait_all_sent(browser)
    working.refresh_from_db()
    assert working.status == CallStatus.CLEARED
    bodies = sorted(Note.objects.filter(call=working).values_list("body", flat=True))
    assert bodies == [
        "Arrived; he is awake and talking.",
        "Offline one: accepted water and a blanket.",
        "Offline two: agreed to go to the shelter tomorrow.",
    ]
    assert Outcome.objects.filter(call=working).count() == 1
    outcome = Outcome.objects.get(call=working)
    assert (outcome.disposition, outcome.people_served) == (Disposition.RESOLVED_ON_SCENE, 2)
    assert StatusEvent.objects.filter(call=working, kind=EventKind.CLEARED).count() == 1
    assert StatusEvent.objects.filter(call=working, kind=EventKind.ON_SCENE).count() == 1

    # The partner's phone gets them on its next sync.
    tap(partner, "#sync-indicator")
    wait_all_sent(partner)
    open_call(partner, working)
    wait(partner, lambda b: len(texts(b, "#notes li.note")) == 3)
    assert status_shown(partner) == "Cleared"
    assert "Resolved on scene" in text(partner, "#outcome")
    assert "Offline two" in " ".join(texts(partner, "#notes li.note .body"))


@SYNC_DB
def test_police_backup_asked_offline_goes_first_and_reaches_the_desk(phone, live_server, pair):
    team, first, _ = pair
    call = call_with_events(
        team,
        [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.ON_SCENE],
        priority=2,
        address="1600 Santa Monica Blvd",
    )
    # An earlier call at the same address, where police were needed: the briefing says so.
    CallFactory(
        team=team,
        address="1600 Santa Monica Blvd",
        received_at=timezone.now() - timedelta(days=40),
        status=CallStatus.CLEARED,
        disposition=Disposition.HANDED_TO_POLICE,
        police_involved=True,
    )
    browser = phone()
    browser.get(f"{live_server.url}/app/")
    element(browser, "#username").send_keys("alcott.clinician1")
    element(browser, "#password").send_keys("not-the-password")
    tap(browser, "#sign-in")
    wait(browser, lambda b: text(b, "#sign-in-error") == "Wrong username or password.")
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)
    wait_for_service_worker(browser)

    wait(browser, lambda b: "police involved" in text(b, "#prior-contacts"))

    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    browser.refresh()  # the briefing is kept for the dead zone
    wait(browser, lambda b: "Handed to police" in text(b, "#prior-contacts"))
    write_note(browser, call, "He has a knife in his belt.")
    tap(browser, "#backup")
    element(browser, "#backup-details").send_keys("Knife in his belt")
    snap(browser, "6-backup-confirm")
    assert_accessible(browser)
    tap(browser, '.backup-reason[data-reason="weapon_seen"]')
    wait_pending(browser, 2)
    assert "Police backup" in text(browser, "#timeline")
    assert not BackupRequest.objects.exists()

    set_offline(browser, False)
    wait_all_sent(browser)
    backup = BackupRequest.objects.get(call=call)
    assert (backup.reason, backup.details) == ("weapon_seen", "Knife in his belt")
    note = Note.objects.get(call=call)
    assert backup.created_at <= note.created_at  # the backup went before the batch

    # A correction is an addendum to the note, never an edit.
    tap(browser, f'li.note[data-id="{note.pk}"] .small-link')
    element(browser, "#note-body").send_keys("Correction: the knife was a phone.")
    tap(browser, "#save-note")
    wait(browser, lambda b: "Correction" in text(b, f'li.note[data-id="{note.pk}"] .addenda'))
    wait_all_sent(browser)
    assert Note.objects.get(amends=note).body == "Correction: the knife was a phone."
    assert Note.objects.get(pk=note.pk).body == "He has a knife in his belt."

    # The team's availability switch, on the home screen: a local record, in the next push.
    browser.execute_script("location.hash = '#/'")
    Select(element(browser, "#availability-reason")).select_by_value("break")
    tap(browser, "#set-out-of-service")
    wait(browser, lambda b: text(b, "#availability-status") == "Out of service: Break")
    wait_all_sent(browser)
    team.refresh_from_db()
    assert team.out_of_service == "break"

    desk, _, _ = signed_in_client(DispatcherFactory(user__username="desk"))
    listed = desk.get("/api/v1/backup-requests/")
    assert listed.status_code == 200, listed.content
    rows = listed.json()["results"] if isinstance(listed.json(), dict) else listed.json()
    assert str(backup.pk) in [row["id"] for row in rows]


@SYNC_DB
def test_a_record_the_server_refuses_is_shown_with_its_reason(phone, live_server, pair):
    team, _, _ = pair
    call = call_with_events(team, [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED], priority=2)
    other_team = TeamFactory(provider=team.provider, program=team.program, call_sign="ALCOTT-2")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)
    wait_for_service_worker(browser)

    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    write_note(browser, call, "Written after the call went to another team.")
    # Meanwhile the desk hands the call to the other team: the note is no longer ours to add.
    assign_call(call=call, team=other_team, assigned_by=DispatcherFactory())

    set_offline(browser, False)
    wait_all_sent(browser)
    browser.execute_script("location.hash = '#/'")
    banner = element(browser, "#refused-banner")
    assert "1 record(s) refused" in banner.text
    tap(browser, banner)
    refused = element(browser, "#refused li.card")
    assert "Written after the call went to another team." in refused.text
    reason = refused.find_element(By.CSS_SELECTOR, ".reason").text
    assert reason.startswith("Reason: ") and len(reason) > len("Reason: ")
    snap(browser, "7-refused")
    assert not Note.objects.filter(body__startswith="Written after").exists()
    assert QuarantinedRecord.objects.filter(table="notes").count() == 1


@SYNC_DB
def test_offline_the_directory_is_searchable_and_a_follow_up_and_a_referral_wait_to_be_sent(
    phone, live_server, pair
):
    team, _, _ = pair
    person = PersonFactory(provider=team.provider, given_name="Ana", family_name="Ruiz")
    call = call_with_events(
        team, [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.ON_SCENE], person=person
    )
    housing = ServiceFactory(name="Bridge housing intake", category=ServiceCategory.HOUSING)
    ServiceFactory(name="Night shelter", category=ServiceCategory.SHELTER, hours={"always": True})
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    wait_for_service_worker(browser)
    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))

    browser.execute_script("location.hash = '#/services'")
    element(browser, "#service-search").send_keys("shelter")
    wait(browser, lambda b: texts(b, "#services li.service strong") == ["Night shelter"])
    element(browser, "#service-search").clear()
    Select(element(browser, "#service-category")).select_by_value(ServiceCategory.HOUSING)
    wait(browser, lambda b: texts(b, "#services li.service strong") == ["Bridge housing intake"])
    Select(element(browser, "#service-category")).select_by_value("")
    tap(browser, "#service-open-now")
    wait(browser, lambda b: texts(b, "#services li.service strong") == ["Night shelter"])
    snap(browser, "8-services")
    assert_accessible(browser)

    open_call(browser, call)
    tap(browser, "#schedule-followup")
    element(browser, "#followup-purpose").send_keys("See how the night at the shelter went.")
    assert_accessible(browser)
    tap(browser, "#save-followup")
    open_call(browser, call)
    tap(browser, "#make-referral")
    element(browser, "#referral-search").send_keys("bridge")
    element(browser, f'#referral-service option[value="{housing.pk}"]')
    Select(element(browser, "#referral-service")).select_by_value(str(housing.pk))
    assert_accessible(browser)
    tap(browser, "#referral-consent")
    tap(browser, "#save-referral")
    wait(browser, lambda b: "Bridge housing intake" in text(b, "#referrals"))
    wait_pending(browser, 2)
    assert not FollowUp.objects.filter(call=call).exists()

    set_offline(browser, False)
    wait_all_sent(browser)
    followup = FollowUp.objects.get(call=call)
    assert followup.purpose == "See how the night at the shelter went."
    assert followup.person_id == person.pk
    referral = Referral.objects.get(call=call)
    assert referral.service.name == "Bridge housing intake" and referral.consent_given
    browser.execute_script("location.hash = '#/followups'")
    wait(
        browser,
        lambda b: (
            str(followup.pk)
            in b.execute_script(
                "return [...document.querySelectorAll('#upcoming li')].map((e) => e.dataset.id).join()"
            )
        ),
    )
    snap(browser, "9-followups")


@SYNC_DB
def test_moved_to_another_team_the_phone_hands_in_its_work_then_starts_again(
    phone, live_server, pair
):
    team, first, _ = pair
    old_call = call_with_events(team, [EventKind.DISPATCHED], address="100 Old Team St")
    other_team = TeamFactory(provider=team.provider, program=team.program, call_sign="ALCOTT-2")
    new_call = call_with_events(other_team, [EventKind.DISPATCHED], address="200 New Team St")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    assert texts(browser, "#open-calls li.call .address") == ["100 Old Team St"]
    open_call(browser, old_call)
    wait_for_service_worker(browser)

    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    write_note(browser, old_call, "Written on the old team's call.")
    first.team = other_team  # a supervisor moves the clinician (the admin saves the row)
    first.save()

    set_offline(browser, False)
    wait_all_sent(browser)
    # The pull answered resync_required: the old team's records went, the new team's came.
    browser.execute_script("location.hash = '#/'")
    wait(browser, lambda b: texts(b, "#open-calls li.call .address") == ["200 New Team St"])
    assert "1 record(s) refused" in text(browser, "#refused-banner")
    assert not Note.objects.filter(body="Written on the old team's call.").exists()
    assert QuarantinedRecord.objects.filter(table="notes").count() == 1
    assert new_call.pk


LOSE_FIRST_PUSH_ANSWER = """
window.pushes = [];
const realFetch = window.fetch;
window.fetch = async (url, init) => {
  const answer = await realFetch(url, init);
  if (String(url).includes("/sync/push/")) {
    window.pushes.push(new URL(url, location.href).searchParams.get("batch_id"));
    if (window.pushes.length === 1) throw new TypeError("the answer was lost on the way");
  }
  return answer;
};
"""


@SYNC_DB
def test_a_push_whose_answer_is_lost_is_sent_again_with_the_same_batch_id(phone, live_server, pair):
    team, first, _ = pair
    call = call_with_events(team, [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED])
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)
    browser.execute_script(LOSE_FIRST_PUSH_ANSWER)

    write_note(browser, call, "Sent once, answered twice.")
    wait(browser, lambda b: b.execute_script("return window.pushes.length") == 1)
    wait(browser, lambda b: indicator(b)["syncing"] == "0")
    assert indicator(browser)["pending"] == "1"  # the phone never heard the answer
    assert Note.objects.filter(call=call).count() == 1  # but the server applied the batch

    tap(browser, "#sync-indicator")
    wait_all_sent(browser)
    pushes = browser.execute_script("return window.pushes")
    assert len(pushes) == 2 and pushes[0] == pushes[1] and pushes[0]
    assert Note.objects.filter(call=call).count() == 1
    assert SyncBatch.objects.filter(user=first.user, batch_id=pushes[0]).count() == 1


COUNT_PULLS = """
window.pulls = [];
const realFetch = window.fetch;
window.fetch = async (url, init) => {
  const answer = await realFetch(url, init);
  if (String(url).includes("/sync/pull/")) {
    const body = await answer.clone().json();
    window.pulls.push({ cursor: new URL(url, location.href).searchParams.get("last_pulled_at"), more: body.has_more });
  }
  return answer;
};
"""


@SYNC_DB
def test_a_first_sync_larger_than_a_page_pulls_again_while_has_more(
    phone, live_server, pair, settings
):
    team, _, _ = pair
    settings.SYNC_MAX_PAGE = 4
    settings.SYNC_FIRST_SYNC_PAGE = 4
    calls = [
        call_with_events(team, [EventKind.DISPATCHED], address=f"{n} Paging Ave")
        for n in range(1, 8)
    ]
    browser = phone()
    browser.get(f"{live_server.url}/app/")
    element(browser, "#username")
    browser.execute_script(COUNT_PULLS)
    element(browser, "#username").send_keys("alcott.clinician1")
    element(browser, "#password").send_keys(DEMO_PASSWORD)
    tap(browser, "#sign-in")
    wait(browser, lambda b: len(texts(b, "#open-calls li.call")) == len(calls))
    wait_all_sent(browser)

    pulls = browser.execute_script("return window.pulls")
    # Pages of at most 4 records (the open calls' page first): pulled again while has_more.
    assert len(pulls) >= 2
    assert pulls[0]["cursor"] == "null" and not pulls[-1]["more"]
    assert all(pull["more"] for pull in pulls[:-1])
    # Each page from the cursor the one before it answered: never from null again.
    assert all(pull["cursor"] != "null" for pull in pulls[1:])


# --- on-scene safety check-ins and notes from the desk (issue 16) -----------------------------


def on_scene_call(team, **fields) -> Call:
    """On scene for 27 minutes (call_with_events): the first check-in, every 20, is due."""
    return call_with_events(
        team, [EventKind.DISPATCHED, EventKind.ACKNOWLEDGED, EventKind.ON_SCENE], **fields
    )


def banner_hidden(browser) -> bool:
    return browser.execute_script("return document.getElementById('checkin-banner').hidden")


@SYNC_DB
def test_a_due_check_in_asks_all_ok_on_every_screen_and_the_answer_reaches_the_server_once(
    phone, live_server, pair
):
    team, _, _ = pair
    call = on_scene_call(team, address="500 Check-in Way")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")

    # On the list, a link to the call whose check-in is due.
    assert "500 Check-in Way" in text(browser, "#checkin-link")
    tap(browser, "#checkin-link")
    wait(browser, lambda b: "All OK?" in text(b, "#checkin-banner"))
    assert "due now" in text(browser, "#checkin-next")
    snap(browser, "10-check-in-prompt")
    assert_accessible(browser)
    assert_fits_with_large_text(browser)
    # Every screen of the open call asks: the note form too.
    tap(browser, "#write-note")
    element(browser, "#note-body")
    assert "All OK?" in text(browser, "#checkin-banner")

    tap(browser, "#checkin-ok")
    wait(browser, banner_hidden)
    wait_all_sent(browser)
    wait(browser, lambda b: CheckIn.objects.filter(call=call).exists())
    check_in = CheckIn.objects.get(call=call)
    assert check_in.answer == CheckInAnswer.OK
    assert check_in.backup_request is None

    # Synced again, the answer is not sent twice; the next check-in is an interval away.
    browser.execute_script(f"location.hash = '#/call/{call.pk}'")
    tap(browser, "#sync-indicator")
    wait_all_sent(browser)
    assert CheckIn.objects.filter(call=call).count() == 1
    wait(browser, lambda b: "All OK" in text(b, "#timeline"))
    assert "due now" not in text(browser, "#checkin-next")
    assert banner_hidden(browser)


@SYNC_DB
def test_a_longer_visit_asks_again_after_the_minutes_chosen(phone, live_server, pair):
    team, _, _ = pair
    call = on_scene_call(team)
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)

    Select(element(browser, "#checkin-minutes")).select_by_value("45")
    wait(browser, lambda b: text(b, "#checkin-longer") == "Longer visit: check again in 45 min")
    tap(browser, "#checkin-longer")
    wait(browser, banner_hidden)
    wait_all_sent(browser)
    wait(browser, lambda b: CheckIn.objects.filter(call=call).exists())
    check_in = CheckIn.objects.get(call=call)
    assert (check_in.answer, check_in.check_again_minutes) == (CheckInAnswer.LONGER_VISIT, 45)
    # The phone counts 45 minutes from the answer, as the server does.
    due = browser.execute_script(
        "return import('/static/field/checkins.js').then((m) => m.onScene())"
        ".then((rows) => rows.map((r) => r.due - Date.now()))"
    )
    assert len(due) == 1 and 44 * 60_000 < due[0] <= 45 * 60_000


@SYNC_DB
def test_need_help_answered_offline_goes_first_when_the_signal_returns(phone, live_server, pair):
    team, _, _ = pair
    call = on_scene_call(team, address="77 Dead Zone Rd")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)
    element(browser, "#checkin-help")

    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    write_note(browser, call, "Written before the check-in.")
    tap(browser, "#checkin-help")
    element(browser, "#help-details").send_keys("He picked up a bottle")
    assert_accessible(browser)
    tap(browser, "#help-confirm")
    wait_pending(browser, 2)
    wait(browser, banner_hidden)
    assert "Need help" in text(browser, "#timeline")
    assert not CheckIn.objects.exists() and not BackupRequest.objects.exists()

    set_offline(browser, False)
    wait_all_sent(browser)
    check_in = CheckIn.objects.get(call=call)
    assert check_in.answer == CheckInAnswer.NEED_HELP
    backup = BackupRequest.objects.get(call=call)
    assert check_in.backup_request == backup
    assert backup.reason == BackupReason.RESPONDER_SAFETY
    assert "He picked up a bottle" in backup.details
    # First in line: before the note written earlier, which waited for the batch.
    assert check_in.created_at <= Note.objects.get(call=call).created_at
    tap(browser, "#sync-indicator")
    wait_all_sent(browser)
    assert CheckIn.objects.count() == 1 and BackupRequest.objects.count() == 1


@SYNC_DB
def test_a_desk_note_reaches_the_phone_by_sync_with_a_notice(phone, live_server, pair):
    team, _, _ = pair
    call = call_with_events(team, [EventKind.DISPATCHED], address="12 Park View")
    desk, _, _ = signed_in_client(DispatcherFactory())
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")

    for body in ("Caller says he walked to the park.", "He is by the fountain now."):
        answer = desk.post(f"/api/v1/calls/{call.pk}/desk-notes/", {"body": body}, format="json")
        assert answer.status_code == 201, answer.content
    tap(browser, "#sync-indicator")
    wait_all_sent(browser)

    notice = text(browser, "#desk-notice-link")
    assert "New note from the desk (2)" in notice and "12 Park View" in notice
    tap(browser, "#desk-notice-link")
    wait(browser, lambda b: len(texts(b, "#desk-notes li")) == 2)
    # Newest first, in their own block.
    assert texts(browser, "#desk-notes li .body") == [
        "He is by the fountain now.",
        "Caller says he walked to the park.",
    ]
    assert text(browser, "#desk-notes-h") == "From the desk"
    snap(browser, "11-desk-notes")
    wait(
        browser, lambda b: b.execute_script("return document.getElementById('desk-notice').hidden")
    )
    assert DeskNote.objects.filter(call=call).count() == 2


# The phone of the app before this one: its IndexedDB (version 1: no desk notes, check-ins
# or safety alerts), pulled with schema 2 (a cursor, no schema noted), a note not yet sent.
BECOME_THE_SCHEMA_2_APP = """
const [noteId, callId, done] = arguments;
const OLD_TABLES = ["calls", "status_events", "notes", "outcomes", "backup_requests", "people",
  "follow_ups", "referrals", "services"];
const settled = (r) => new Promise((ok, ko) => { r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
(async () => {
  const current = await settled(indexedDB.open("umcr-field"));
  const read = current.transaction(["meta", "calls"], "readonly");
  const meta = await settled(read.objectStore("meta").getAll());
  const calls = await settled(read.objectStore("calls").getAll());
  current.close();
  let old = null;
  // The app's page, navigated away from, may still be finishing a timer that opens it again.
  for (let attempt = 0; !old && attempt < 10; attempt++) {
    await settled(indexedDB.deleteDatabase("umcr-field"));
    const opening = indexedDB.open("umcr-field", 1);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const name of OLD_TABLES) db.createObjectStore(name, { keyPath: "id" });
      db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      db.createObjectStore("meta", { keyPath: "key" });
      db.createObjectStore("rejected", { keyPath: "key" });
      db.createObjectStore("briefings", { keyPath: "id" });
    };
    old = await settled(opening).catch(() => new Promise((ok) => setTimeout(() => ok(null), 300)));
  }
  const tx = old.transaction(["meta", "calls", "notes", "outbox"], "readwrite");
  for (const row of meta) if (row.key !== "schema_version") tx.objectStore("meta").put(row);
  for (const row of calls) tx.objectStore("calls").put(row);
  tx.objectStore("notes").put({ id: noteId, call_id: callId, body: "Written before the update.",
    written_at: Date.now(), recorded_at: null, amends_id: null, _pending: true });
  tx.objectStore("outbox").add({ table: "notes", id: noteId, op: "created", at: Date.now() });
  tx.oncomplete = () => { old.close(); done(old.version); };
})().catch((error) => done(String(error)));
"""


@SYNC_DB
def test_the_update_keeps_the_local_data_and_pulls_the_new_tables_by_a_migration_sync(
    phone, live_server, pair
):
    team, _, _ = pair
    call = call_with_events(team, [EventKind.DISPATCHED], address="4 Upgrade Lane")
    desk, _, _ = signed_in_client(DispatcherFactory())
    desk.post(f"/api/v1/calls/{call.pk}/desk-notes/", {"body": "Before the update."}, format="json")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    note_id = str(uuid.uuid4())
    # Another page of the app's origin, so that nothing holds the database open.
    browser.get(f"{live_server.url}/app/manifest.webmanifest")
    assert browser.execute_async_script(BECOME_THE_SCHEMA_2_APP, note_id, str(call.pk)) == 1

    browser.get(f"{live_server.url}/app/")  # the new app: its database upgrades (version 3)
    element(browser, "#open-calls")  # still signed in: the session was kept
    wait_all_sent(browser)
    assert Note.objects.get(pk=note_id).body == "Written before the update."
    open_call(browser, call)
    # The cursor is past the desk note: only the migration sync (from 2) brings it.
    wait(browser, lambda b: "Before the update." in text(b, "#desk-notes"))
    found = browser.execute_async_script(
        "const done = arguments[0];"
        "import('/static/field/db.js').then(async (db) => done({"
        "  schema: await db.meta('schema_version'),"
        "  version: (await db.open()).version,"
        "}));"
    )
    assert found == {"schema": 4, "version": 3}


@SYNC_DB
def test_a_follow_up_is_rescheduled_and_completed_from_the_phone(phone, live_server, pair):
    team, _, _ = pair
    call = call_with_events(team, [EventKind.DISPATCHED])
    moved = FollowUpFactory(call=call, purpose="Bring the shelter forms.")
    done = FollowUpFactory(call=call, purpose="Check he got his medication.")
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    browser.execute_script("location.hash = '#/followups'")

    set_offline(browser, True)
    wait(browser, lambda b: b.execute_script("return navigator.onLine === false"))
    tap(browser, f'li.followup[data-id="{moved.pk}"] .followup-change')
    new_due = (moved.due_by + timedelta(days=2)).astimezone()
    # The form is drawn after the tap: wait for it, and set the value the element found
    # (a redraw between finding and setting finds it again).
    wait(
        browser,
        lambda b: b.execute_script(
            "const field = document.getElementById('followup-new-due-by');"
            "if (!field) return false; field.value = arguments[0]; return true;",
            new_due.strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    tap(browser, "#reschedule-followup")
    tap(browser, f'li.followup[data-id="{done.pk}"] .followup-change')
    element(browser, "#followup-outcome").send_keys("Seen at the clinic; he has them.")
    tap(browser, "#complete-followup")
    wait_pending(browser, 2)
    wait(browser, lambda b: len(texts(b, "li.followup")) == 1)  # the completed one leaves
    assert FollowUp.objects.get(pk=done.pk).status == FollowUpStatus.SCHEDULED

    set_offline(browser, False)
    wait_all_sent(browser)
    done.refresh_from_db()
    assert (done.status, done.outcome) == (
        FollowUpStatus.COMPLETED,
        "Seen at the clinic; he has them.",
    )
    moved.refresh_from_db()
    assert moved.status == FollowUpStatus.SCHEDULED
    assert moved.due_by.astimezone().strftime("%Y-%m-%d %H:%M") == new_due.strftime(
        "%Y-%m-%d %H:%M"
    )
    assert not QuarantinedRecord.objects.exists()


@SYNC_DB
def test_the_availability_switch_works_offline_and_goes_with_the_next_push(
    phone, live_server, pair
):
    team, _, _ = pair
    call_with_events(team, [EventKind.DISPATCHED])
    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    set_offline(browser, True)
    Select(element(browser, "#availability-reason")).select_by_value("training")
    tap(browser, "#set-out-of-service")
    wait(browser, lambda b: "not sent yet" in text(b, "#availability-status"))
    assert "Out of service: Training" in text(browser, "#availability-status")
    team.refresh_from_db()
    assert team.out_of_service == ""

    set_offline(browser, False)
    tap(browser, "#sync-indicator")
    wait(browser, lambda b: text(b, "#availability-status") == "Out of service: Training")
    wait_all_sent(browser)
    team.refresh_from_db()
    assert team.out_of_service == "training"
    tap(browser, "#set-available")
    wait(browser, lambda b: text(b, "#availability-status") == "Available for calls")
    wait_all_sent(browser)
    team.refresh_from_db()
    assert team.out_of_service == ""


def local_pings(browser) -> list[dict]:
    return browser.execute_async_script(
        "const done = arguments[0];"
        "import('/static/field/db.js').then(async (db) => done(await db.all('position_pings')));"
    )


@SYNC_DB
def test_position_pings_are_queued_and_pushed_with_the_sync(phone, live_server, pair):
    team, first, _ = pair
    browser = phone()
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 34.0623, "longitude": -118.3564, "accuracy": 12},
    )
    browser.get(f"{live_server.url}/app/")
    element(browser, "#username").send_keys("alcott.clinician1")
    element(browser, "#password").send_keys(DEMO_PASSWORD)
    tap(browser, "#sign-in")
    element(browser, "#set-available")  # the home screen
    # One ping queued on the phone (at most one per 30 s), pushed with the next sync
    # (the sign-in's own sync may already have taken it).
    wait(browser, lambda b: local_pings(b) or PositionPing.objects.exists())
    tap(browser, "#sync-indicator")
    wait(browser, lambda b: PositionPing.objects.filter(team=team).exists())
    wait_all_sent(browser)
    assert PositionPing.objects.filter(team=team).count() == 1
    ping = PositionPing.objects.get(team=team)
    assert (float(ping.latitude), float(ping.longitude)) == (34.0623, -118.3564)
    team = Team.objects.get(pk=team.pk)
    assert (float(team.last_latitude), float(team.last_longitude)) == (34.0623, -118.3564)
    assert team.last_accuracy_m == 12
    assert local_pings(browser) == []  # sent: the phone keeps no copy
    assert "position goes to the desk" in text(browser, "#position-status")


@SYNC_DB
def test_a_ride_recorded_on_the_server_shows_on_the_call_screen(phone, live_server, pair):
    team, first, _ = pair
    team.program.transports = True
    team.program.save(update_fields=["transports"])
    call = on_scene_call(team, address="9 Ride Street")
    csu = ServiceFactory(name="Eastside CSU", category=ServiceCategory.CRISIS_STABILIZATION)
    sobering = ServiceFactory(name="Downtown Sobering", category=ServiceCategory.SOBERING_CENTER)
    now = timezone.now()
    ride = start_transport(
        responder=first,
        transport_id=uuid.uuid4(),
        call_id=call.pk,
        destination_id=csu.pk,
        departed_at=now - timedelta(minutes=20),
        consent_given=True,
        consent_method="verbal",
    ).record
    ride = refuse(
        transport=ride,
        responder=first,
        reason="No beds until morning.",
        next_destination_id=sobering.pk,
        refused_at=now - timedelta(minutes=12),
    )
    ride = arrive(transport=ride, responder=first, arrived_at=now - timedelta(minutes=5))
    hand_off(
        transport=ride,
        responder=first,
        handed_off_at=now - timedelta(minutes=2),
        received_by="J. Ortiz, RN",
    )
    assert Transport.objects.get(pk=ride.pk).status == "handed_off"

    browser = phone()
    sign_in(browser, live_server, "alcott.clinician1")
    open_call(browser, call)
    block = text(browser, "#transports")
    assert "To Downtown Sobering" in block and "Handed off" in block
    assert "J. Ortiz, RN" in block and "arrived" in block
    assert "Eastside CSU refused" in block and "No beds until morning." in block
    assert_accessible(browser)
