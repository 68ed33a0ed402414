"""WSGI entry point for gunicorn (``twofold serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
application = get_wsgi_application()
