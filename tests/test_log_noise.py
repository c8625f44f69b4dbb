"""What the processes log is worth reading: each record once, no warnings about a broker that
the embedded default does not have."""

import logging
import os
import subprocess
import sys

from django.utils import timezone

from config.celery import app as celery_app
from ledger.services import EventInput, events_record


def _handlers_below_the_root(name: str) -> list[logging.Handler]:
    logger, found = logging.getLogger(name), []
    while logger.parent is not None:
        found += logger.handlers
        if not logger.propagate:
            break
        logger = logger.parent
    return found


def test_a_request_log_record_reaches_only_the_roots_handler():
    # Django's DEBUG console handler on `django` and the root's would both print each 4xx.
    assert _handlers_below_the_root("django.request") == []
    assert _handlers_below_the_root("django.security.csrf") == []
    assert logging.getLogger("django.request").propagate


def test_eager_tasks_take_no_broker_connection(
    alurec, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def no_producer(*args, **kwargs):
        raise AssertionError("an eager task asked kombu for a producer (and a broker)")

    monkeypatch.setattr(celery_app, "producer_or_acquire", no_producer)
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport": {"distance_km": "10", "mode": "truck"},
    }
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True) as callbacks:
        events_record(
            organisation=alurec,
            actor="user:test",
            events=[EventInput("scrap.received", timezone.now(), data)],
        )
    assert callbacks  # the roll-up ran, eagerly
    assert not [record for record in caplog.records if record.name.startswith("kombu")]


def test_request_warnings_follow_request_log_level():
    assert logging.getLogger("django.request").getEffectiveLevel() == logging.INFO  # the default
    script = "import logging, django; django.setup(); print(logging.getLogger('django.request').level)"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REQUEST_LOG_LEVEL": "ERROR"}
    run = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == str(logging.ERROR)
