"""WSGI entry point for gunicorn (`gunicorn umcr.wsgi -k gthread --no-control-socket`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umcr.settings")
application = get_wsgi_application()
# Every view module loaded now (not on the first request), then all that the worker loaded
# kept out of the garbage collector's sweeps (gc.freeze): a full sweep walked its 137,000
# objects every few thousand records a response built, 170 ms of a first sync's 1.8 s at
# benchmark scale (6 ms once frozen; bench/sync.py).
get_resolver().url_patterns  # noqa: B018
gc.collect()  # what the imports left unreachable is freed, not frozen
gc.freeze()
