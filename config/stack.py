"""The processes of a remelt deployment, named once.

docker-compose.yml runs exactly these commands (a test checks it), `python3 dev.py stack`
runs them against a local PostgreSQL and Redis, and the integration tests start the worker
and beat from here. Only the standard library: dev.py reads it before any install.
"""

MIGRATE = ["python", "manage.py", "migrate", "--no-input"]
WEB = ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn"]
WORKER = ["celery", "-A", "config", "worker", "--loglevel=INFO"]
BEAT = ["celery", "-A", "config", "beat", "--loglevel=INFO"]
PROCESSES = {"web": WEB, "worker": WORKER, "beat": BEAT}
