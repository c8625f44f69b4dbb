"""Commits ask for a roll-up without waiting for the broker: a thread publishes one, only when
none is queued and not started yet (a flag in Redis), and tries again until the broker answers."""

import os
import time
import uuid
from unittest import mock

import pytest
import redis

from config.celery import app as celery_app
from passports import queue
from passports.tasks import QUEUED_FLAG, ROLLUP, rollup

# A Redis database of these tests' own (CI's suite uses 11 for its broker), and an address
# where nothing listens, for an outage.
TEST_REDIS = os.environ.get("REMELT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _flag() -> str:
    return QUEUED_FLAG.format(queue=celery_app.conf.task_default_queue)


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
        celery_app.conf.task_always_eager = True  # whatever the thread still owes is dropped
        assert ROLLUP.wait_idle(20)
    redis.Redis.from_url(TEST_REDIS).delete(_flag())
    celery_app.conf.task_default_queue = saved


def test_commits_while_a_run_is_queued_do_not_queue_another(broker):
    assert ROLLUP._publish_once()
    assert ROLLUP._publish_once()
    assert ROLLUP._publish_once()
    assert broker.call_count == 1
    ROLLUP.started()  # the worker took the task: later commits need a new run
    assert ROLLUP._publish_once()
    assert ROLLUP._publish_once()
    assert broker.call_count == 2


def test_the_flag_expires_so_a_lost_task_does_not_silence_the_queue(broker):
    ROLLUP._publish_once()
    ttl = redis.Redis.from_url(TEST_REDIS).ttl(_flag())
    assert 0 < ttl <= 60


def test_a_commit_never_waits_for_the_publish(broker):
    broker.side_effect = lambda **_kwargs: time.sleep(2)  # a broker that takes its time
    started = time.monotonic()
    queue._start_rollup()
    assert time.monotonic() - started < 0.1
    assert ROLLUP.wait_idle(10)
    assert broker.call_count == 1
    assert "connection" in broker.call_args.kwargs  # the thread's own, with bounded timeouts


def test_a_failed_publish_is_tried_again_without_another_commit(broker):
    broker.side_effect = [OSError("broker down"), None]
    queue._start_rollup()  # logged, not raised
    assert ROLLUP.wait_idle(10)
    assert broker.call_count == 2
    assert ROLLUP.last_error is None


def test_while_redis_is_unreachable_nothing_is_lost_and_the_thread_catches_up(broker, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", NOTHING_LISTENS)
    started = time.monotonic()
    queue._start_rollup()
    assert time.monotonic() - started < 0.1
    assert not ROLLUP.wait_idle(1.5)  # still owed
    assert broker.call_count == 0
    assert ROLLUP.last_error.startswith("ConnectionError")
    monkeypatch.setenv("CELERY_BROKER_URL", TEST_REDIS)  # the broker is back
    assert ROLLUP.wait_idle(20)
    assert broker.call_count == 1


def test_the_task_clears_the_flag_before_it_reads_what_is_pending(broker, db):
    ROLLUP._publish_once()
    seen = []
    with mock.patch(
        "passports.tasks.rollup_run",
        side_effect=lambda: seen.append(redis.Redis.from_url(TEST_REDIS).exists(_flag())),
    ):
        rollup.run()
    assert seen == [0]  # the flag was free again when the run started
