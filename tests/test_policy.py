"""The role matrix itself: the registry the apps fill, and the README table rendered from it."""

from pathlib import Path

import pytest

from umcr import policy

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_shows_the_matrix_the_code_enforces():
    text = README.read_text()
    start = text.index("<!-- role-matrix:start -->") + len("<!-- role-matrix:start -->")
    end = text.index("<!-- role-matrix:end -->")
    assert text[start:end].strip() == policy.markdown_table()


def test_every_row_the_issue_names_is_in_the_matrix():
    resources = {row.resource for row in policy.rows()}
    assert {
        "calls",
        "status_events",
        "notes",
        "outcome_codes",
        "outcome_details",
        "backup_requests",
        "people",
        "follow_ups",
        "referrals",
        "devices",
        "quarantine",
        "access_log",
        "figures",
    } <= resources


@pytest.mark.parametrize(
    ("resource", "action"),
    [("notes", "read"), ("outcome_details", "read"), ("people", "read"), ("people", "change")],
)
def test_the_desk_gets_no_clinical_content_or_contact_details(resource, action):
    assert not policy.allows("dispatcher", action, resource)


@pytest.mark.parametrize("resource", ["calls", "status_events", "outcome_codes", "backup_requests"])
def test_the_desk_reads_logistics_status_codes_and_backup(resource):
    assert policy.allows("dispatcher", "read", resource)


def test_only_supervisors_void_clinical_records():
    for resource in ("notes", "status_events", "outcome_codes"):
        assert policy.roles_allowed("void", resource) == ("supervisor",)


def test_a_role_without_a_profile_is_granted_nothing():
    assert not policy.allows(None, "read", "calls")


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        policy.allows("clinician", "delete", "notes")


def test_a_row_cannot_be_registered_twice():
    with pytest.raises(ValueError):
        policy.register("notes", "notes again", clinician="read")
