"""WSGI entry point for gunicorn: config.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

from config.startup import freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
# Once the app is loaded, in each worker (gunicorn imports this module there; the app is not
# preloaded in the master): from now on full collections skip the start-up heap.
freeze_startup_heap()
