"""WSGI entry point for gunicorn (`gunicorn umcr.wsgi -k gthread --no-control-socket`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umcr.settings")
application = get_wsgi_application()
