"""The field app: the clinicians' offline-first phone web app at /app/. This module serves
its page, its service worker and its web manifest; the app itself is plain ES modules under
static/field/ (no build step), and it talks to the server only through the public API
(/api/v1/), so this app imports nothing from the others."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import PrefixNode
from django.views.decorators.http import require_safe

# Every file the app needs to open with no signal: the service worker caches these at
# install (and /app/ itself), and serves them from its cache first.
ASSETS = (
    "app.js",
    "api.js",
    "db.js",
    "sync.js",
    "checkins.js",
    "positions.js",
    "screens.js",
    "dom.js",
    "labels.js",
    "style.css",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
)
APP_URL = "/app/"
MANIFEST_URL = "/app/manifest.webmanifest"


def asset_url(name: str) -> str:
    """The file's plain static URL (not the manifest's hashed name): the modules import each
    other by relative paths, which must resolve to the same URLs the service worker cached."""
    return f"{PrefixNode.handle_simple('STATIC_URL')}field/{name}"


def shell_version() -> str:
    """A digest of every file of the app shell and the page: a new deployment changes it,
    so browsers install the new service worker and fetch the new files. Read once per
    process, except in DEBUG, where an edited file must reach the browser at once."""
    return digest_of_shell() if settings.DEBUG else cached_digest_of_shell()


def digest_of_shell() -> str:
    digest = hashlib.sha256()
    for name in ASSETS:
        path = finders.find(f"field/{name}")
        if isinstance(path, str):
            with open(path, "rb") as handle:
                digest.update(handle.read())
    for template in ("field/index.html", "field/sw.js"):
        origin = get_template(template).origin.name  # type: ignore[attr-defined]
        with open(origin, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


cached_digest_of_shell = lru_cache(maxsize=1)(digest_of_shell)


def asset_urls() -> dict[str, str]:
    return {name.replace(".", "_").replace("-", "_"): asset_url(name) for name in ASSETS}


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "field/index.html",
        {
            "assets": asset_urls(),
            "manifest_url": MANIFEST_URL,
            "version": shell_version(),
            # The phone counts when an on-scene check-in is due with the server's interval.
            "checkin_interval": settings.CHECKIN_INTERVAL_MINUTES,
        },
    )
    # The service worker serves its cached copy; the network copy must never be stale.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [APP_URL, MANIFEST_URL, *(asset_url(name) for name in ASSETS)]
    response = render(
        request,
        "field/sw.js",
        {"version": shell_version(), "shell": json.dumps(shell)},
        content_type="application/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = APP_URL
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "name": "UMCR Field",
        "short_name": "UMCR Field",
        "description": "Calls, notes, outcomes and police backup for crisis-response teams.",
        "start_url": APP_URL,
        "scope": APP_URL,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b2545",
        "icons": [
            {"src": asset_url("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": asset_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(json.dumps(body), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
