"""Publishing Celery tasks without a request ever waiting for the broker.

A commit that wants a task run asks for it (`CoalescedTask.request()`, from
`transaction.on_commit`) and goes on: a daemon thread of the process publishes it, with
bounded socket timeouts (`PUBLISH_TIMEOUT`), and while the broker cannot be reached (refused,
or accepting and never answering) it tries again with a growing pause (up to `RETRY_MAX`), so
what was committed meanwhile is picked up as soon as the broker is back, even if nothing else
is committed. What is owed is also in the database (the callers' pending rows), so a publish
lost with its process is caught up by Celery beat.

Requests coalesce: one publish is owed at most per process, and across processes a flag in the
broker's Redis (`SET NX` with an expiry) says a run is queued and not started; the task clears
it (`started()`) before it reads what is pending, so a run that has not started will see every
commit made before it does, and commits meanwhile need not queue another. A steady stream of
commits thus costs one task per run, not one per commit.

With `CELERY_TASK_ALWAYS_EAGER` (the embedded default, no broker) the task runs in the
caller, as before: there is no broker to wait for.
"""

import contextlib
import logging
import os
import threading

import redis
from celery import Task
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 2.0  # seconds for each connect and each answer of the broker, in the thread
RETRY_FIRST, RETRY_MAX = 0.5, 15.0  # seconds between tries while the broker cannot be reached
# A task lost with its broker must not silence the queue for long (beat catches up meanwhile).
QUEUED_FLAG_SECONDS = 60


class CoalescedTask:
    """A task without arguments that commits ask for, published off the request path."""

    def __init__(self, task: Task, flag: str) -> None:
        self.task = task
        self.flag = flag  # the flag's key; `{queue}` is replaced by the app's default queue
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._flag_clients: dict[str, redis.Redis] = {}
        self.last_error: str | None = None  # of this process's last try, for /healthz and logs

    @property
    def app(self):
        return self.task.app

    # -- the caller's side -------------------------------------------------------------------

    def request(self) -> None:
        """Ask for a run; returns at once (eager mode: runs the task here and now)."""
        if self.app.conf.task_always_eager:
            self.task.apply()  # no producer: kombu would warn of a broker that is not there
            return
        with self._lock:
            self._idle.clear()
            self._wanted.set()
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                # Started on first use in each process (not at import: gunicorn and Celery fork).
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name=f"publish {self.task.name}", daemon=True
                )
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is owed (published, or none needed); False on timeout."""
        return self._idle.wait(timeout)

    def started(self) -> None:
        """Called by the task before it reads what is pending: commits from now on queue a new run."""
        client = self._flag_client()
        if client is None:
            return
        try:
            client.delete(self._flag_key())
        except redis.RedisError:
            log.warning("could not clear %s; it expires in %s s", self._flag_key(), QUEUED_FLAG_SECONDS)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        pause = RETRY_FIRST
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._publish_once():
                pause = RETRY_FIRST
                with self._lock:
                    if not self._wanted.is_set():
                        self._idle.set()
                continue
            # Still owed: try again after a pause, sooner if another commit asks meanwhile.
            self._wanted.wait(pause)
            self._wanted.set()
            pause = min(pause * 2, RETRY_MAX)

    def _publish_once(self) -> bool:
        """Publish unless a run is queued already; False if the broker could not be reached."""
        if self.app.conf.task_always_eager:
            return True  # no broker (any more): commits run the task themselves
        client = self._flag_client()
        key = self._flag_key()
        if client is not None:
            try:
                if not client.set(key, "1", nx=True, ex=QUEUED_FLAG_SECONDS):
                    return True  # a queued run will see every commit made so far
            except redis.RedisError as exc:
                return self._failed(exc)
        try:
            with self.app.connection_for_write(transport_options=_BOUNDED) as connection:
                self.task.apply_async(connection=connection, retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker failure: try again later, beat as backstop
            if client is not None:
                with contextlib.suppress(redis.RedisError):  # else it expires
                    client.delete(key)
            return self._failed(exc)
        self.last_error = None
        return True

    def _failed(self, exc: Exception) -> bool:
        if self.last_error is None:
            log.warning("could not queue %s (%r); trying again until the broker answers", self.task.name, exc)
        self.last_error = f"{exc.__class__.__name__}: {exc}"
        return False

    def _flag_key(self) -> str:
        return self.flag.format(queue=self.app.conf.task_default_queue)

    def _flag_client(self) -> redis.Redis | None:
        """The broker's Redis (none in eager mode or on another broker)."""
        url = self.app.conf.broker_url or ""
        if self.app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
            return None
        if url not in self._flag_clients:
            self._flag_clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=PUBLISH_TIMEOUT,
                socket_connect_timeout=PUBLISH_TIMEOUT,
                retry=Retry(NoBackoff(), 0),
            )
        return self._flag_clients[url]


# kombu's Redis transport: every connect and every answer bounded, and no retries of its own
# (the thread retries, with its pause); without these a broker that accepts and never answers
# holds the publish forever.
_BOUNDED = {
    "socket_timeout": PUBLISH_TIMEOUT,
    "socket_connect_timeout": PUBLISH_TIMEOUT,
    "max_retries": 0,
    "connect_retries_timeout": PUBLISH_TIMEOUT,
}
