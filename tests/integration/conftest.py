"""The integration tests' queue: one of their own on the real Redis, and the environment
that points the deployment's processes at it and at the test database."""

import os
import uuid

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.integration.support import point_app_at


@pytest.fixture
def queue(transactional_db, tmp_path):
    """A queue of our own, and the env that points processes at the test database and it (and
    at a var/ of their own: a worker's checkpoint signer must not leave its memory in the
    checkout's var/, where the demo's would then refuse to sign its own ledger)."""
    name = f"remelt-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": name,
        "ROLLUP_STALE_SECONDS": "1",
        "LEDGER_CHECKPOINT_SECONDS": "3600",
        "REMELT_VAR_DIR": str(tmp_path),
    }
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = name
    celery_app.amqp.queues.select_add(name)
    yield env
    point_app_at(env["CELERY_BROKER_URL"])
    celery_app.conf.task_always_eager = True  # a publish still owed is dropped, not sent on
    celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
