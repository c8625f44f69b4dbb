"""Commits queue a roll-up task only when none is queued and not started yet (a flag in Redis)."""

import os
import uuid
from unittest import mock

import pytest
import redis

from config.celery import app as celery_app
from passports import queue
from passports.tasks import rollup

# A Redis database of these tests' own (CI's suite uses 11 for its broker), and an address
# where nothing listens, for an outage.
TEST_REDIS = os.environ.get("REMELT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def broker(monkeypatch):
    """The app publishing to a Redis of its own, on a queue of its own; apply_async recorded."""
    if not _reachable(TEST_REDIS):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {TEST_REDIS}")
        pytest.skip(f"needs Redis at {TEST_REDIS}")
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    # Celery reads the broker from this variable before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", TEST_REDIS)
    celery_app.conf.task_default_queue = f"remelt-test-{uuid.uuid4().hex[:8]}"
    with mock.patch.object(rollup, "apply_async") as published:
        yield published
    redis.Redis.from_url(TEST_REDIS).delete(
        queue.QUEUED_FLAG.format(queue=celery_app.conf.task_default_queue)
    )
    celery_app.conf.task_default_queue = saved
    celery_app.conf.task_always_eager = True


def test_commits_while_a_run_is_queued_do_not_queue_another(broker):
    queue._start_rollup()
    queue._start_rollup()
    queue._start_rollup()
    assert broker.call_count == 1
    queue.rollup_started(celery_app)  # the worker took the task: later commits need a new run
    queue._start_rollup()
    queue._start_rollup()
    assert broker.call_count == 2


def test_the_flag_expires_so_a_lost_task_does_not_silence_the_queue(broker):
    queue._start_rollup()
    key = queue.QUEUED_FLAG.format(queue=celery_app.conf.task_default_queue)
    ttl = redis.Redis.from_url(TEST_REDIS).ttl(key)
    assert 0 < ttl <= queue.QUEUED_FLAG_SECONDS


def test_a_failed_publish_clears_the_flag_so_the_next_commit_tries_again(broker):
    broker.side_effect = [OSError("broker down"), None]
    queue._start_rollup()  # logged, not raised: the beat job catches up
    queue._start_rollup()
    assert broker.call_count == 2


def test_without_redis_every_commit_publishes(broker, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", NOTHING_LISTENS)
    queue._start_rollup()
    queue._start_rollup()
    assert broker.call_count == 2


def test_the_task_clears_the_flag_before_it_reads_what_is_pending(broker, db):
    queue._start_rollup()
    seen = []
    with mock.patch(
        "passports.tasks.rollup_run", side_effect=lambda: seen.append(queue._QueuedFlag(celery_app).claim())
    ):
        rollup.run()
    assert seen == [True]  # the flag was free again when the run started
