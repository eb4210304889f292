"""A pull's page and a push's records are freed as soon as their request has answered, by
reference counting alone: DRF keeps the request and the answer on the view, and the request
points back to the view, a cycle that only the garbage collector would free, often many
requests later (a worker serving a first sync grew by every page it had sent)."""

import gc
import json
import uuid

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.request import Request

from tests.sync.helpers import (  # noqa: F401  (migration_data, sync_counter: fixtures)
    SYNC_DB,
    migration_data,
    ms,
    sync_counter,
    team_pair,
)
from umcr.sync.registry import SCHEMA_VERSION

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


# What a request leaves behind: its answer (a page's text) and its request (a push's records).
WATCHED = (HttpResponse, Request)


def served(environ: dict) -> tuple[int, bytes, list[object]]:
    """`environ` answered by Django's WSGI handler as a server runs it (the response read,
    then closed), with the garbage collector off; and the answers and requests it left
    alive. (The view itself stays in a cycle of its own, Django's `head = get`, holding
    nothing large.)"""
    gc.collect()
    gc.disable()
    try:
        # type(), not isinstance(): that would evaluate lazy objects (the spent CSP nonce).
        before = {id(o) for o in gc.get_objects() if type(o) in WATCHED}
        statuses: list[str] = []
        response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        content = b"".join(response)
        response.close()
        del response
        alive = [o for o in gc.get_objects() if type(o) in WATCHED and id(o) not in before]
    finally:
        gc.enable()
    return int(statuses[0].split()[0]), content, alive


def authorization(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"]


def test_a_pulls_view_request_and_page_are_freed_once_it_has_answered():
    pair = team_pair()
    request = RequestFactory().get(
        "/api/v1/sync/pull/",
        {"last_pulled_at": "null", "schema_version": SCHEMA_VERSION},
        HTTP_AUTHORIZATION=authorization(pair.first.client),
    )

    status, content, alive = served(request.environ)

    assert status == 200 and str(pair.call.pk) in content.decode()
    assert alive == []


def test_a_pushs_view_request_and_records_are_freed_once_it_has_answered():
    pair = team_pair()
    note = {"id": str(uuid.uuid4()), "call_id": str(pair.call.pk), "body": "freed"}
    note["written_at"] = ms(pair.call.received_at)
    body = {"changes": {"notes": {"created": [note], "updated": [], "deleted": []}}}
    request = RequestFactory().post(
        "/api/v1/sync/push/?last_pulled_at=0",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=authorization(pair.first.client),
    )

    status, content, alive = served(request.environ)

    assert status == 200, content
    assert alive == []
