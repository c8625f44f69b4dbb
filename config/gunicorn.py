"""gunicorn settings from the environment (WEB_CONCURRENCY is read by gunicorn itself)."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
accesslog = "-"
# Ledger appends queue on one lock; slow clients must not hold a worker while they do.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
