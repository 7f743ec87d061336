"""The events queue: after-events leave the request here, and a worker delivers them.

The request that raised an event only sends one SQS message per target (an endpoint, or a
LeanEngine after-hook): delivery never slows or fails it. The worker (``app.py``'s
``on_sqs_message`` function in AWS; a thread under ``make run``) handles each message:

- not due yet (a retry waiting out its backoff): sent back with the remaining delay;
- delivered (2xx): logged, done;
- failed: logged, and sent again ``backoff(attempt)`` later (30 s, doubling, at most 4 h);
  once the next try would come more than ``GIVE_UP_SECONDS`` (a day) after the first try
  (the worker's clock, carried in the message as ``first``), the
  message goes to the dead-letter queue and the delivery is ``dead`` (replayable).

SQS delays a message at most 15 minutes; a longer backoff is waited out in hops (a message
that arrives before its ``due`` time goes back with what is left). The queue's own redrive
policy (``MAX_RECEIVES``) is a backstop for a worker that crashes on a message.
"""
from __future__ import annotations

import json
import logging
import os
import threading

from .. import log

BACKOFF_BASE = 30
BACKOFF_CAP = 4 * 3600
GIVE_UP_SECONDS = 86400
SQS_MAX_DELAY = 900
MAX_RECEIVES = 5          # redrive to the DLQ after this many failed receives (a crashing worker)
VISIBILITY_SECONDS = 180  # > the worker's timeout (template, provision)


def backoff(attempt: int) -> int:
    """Seconds to wait after the ``attempt``-th failure (1-based)."""
    return min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_CAP)


def queue_name(dead: bool = False) -> str:
    stage = os.environ.get("VERIKIT_STAGE", "dev")
    env = "VERIKIT_EVENTS_DLQ" if dead else "VERIKIT_EVENTS_QUEUE"
    return os.environ.get(env) or f"verikit-{stage}-events" + ("-dlq" if dead else "")


class SqsQueue:
    """The events queue and its dead-letter queue (URLs looked up once per process)."""

    def __init__(self, client=None):
        self._client = client
        self._urls: dict = {}
        self._lock = threading.Lock()

    @property
    def client(self):
        if self._client is None:
            from .. import aws
            self._client = aws.client("sqs")
        return self._client

    def url(self, dead: bool = False) -> str:
        hit = self._urls.get(dead)
        if hit is None:
            with self._lock:
                hit = self._urls[dead] = self.client.get_queue_url(QueueName=queue_name(dead))["QueueUrl"]
        return hit

    def send(self, messages: list, delay: int = 0) -> None:
        for i in range(0, len(messages), 10):
            chunk = messages[i:i + 10]
            if len(chunk) == 1:
                self.client.send_message(QueueUrl=self.url(), MessageBody=json.dumps(chunk[0]),
                                         DelaySeconds=int(delay))
                continue
            resp = self.client.send_message_batch(QueueUrl=self.url(), Entries=[
                {"Id": str(n), "MessageBody": json.dumps(m), "DelaySeconds": int(delay)} for n, m in enumerate(chunk)])
            if resp.get("Failed"):
                raise RuntimeError(f"SQS refused {len(resp['Failed'])} event message(s)")

    def send_dead(self, message: dict) -> None:
        self.client.send_message(QueueUrl=self.url(dead=True), MessageBody=json.dumps(message))

    def receive(self, wait: int = 0, limit: int = 10) -> list:
        """(message, receipt handle) pairs: the local worker's polling (Lambda polls in AWS)."""
        resp = self.client.receive_message(QueueUrl=self.url(), MaxNumberOfMessages=limit, WaitTimeSeconds=wait,
                                           VisibilityTimeout=VISIBILITY_SECONDS)
        return [(json.loads(m["Body"]), m["ReceiptHandle"]) for m in resp.get("Messages", [])]

    def delete(self, receipt: str) -> None:
        self.client.delete_message(QueueUrl=self.url(), ReceiptHandle=receipt)


class Worker:
    """Delivers queued messages. ``deliver(message, now) -> http.Answer`` does one attempt
    (``hooks.dispatch.Targets``); ``clock`` decides when retries are due."""

    def __init__(self, queue, deliveries, deliver, clock, max_sqs_delay: int = SQS_MAX_DELAY):
        self.queue, self.deliveries, self.deliver, self.clock = queue, deliveries, deliver, clock
        self.max_sqs_delay = max_sqs_delay

    def handle(self, message: dict) -> str:
        """One message; returns what became of it (due-later | delivered | retry | dead | dropped)."""
        now = self.clock.now()
        due = float(message.get("due") or 0)
        if due > now:
            self.queue.send([message], delay=min(int(due - now) + 1, self.max_sqs_delay))
            return "due-later"
        if message.get("attempt") and not message.get("replay"):
            current = self.deliveries.get(message["endpoint"], message["msg"])
            if current is not None and current["status"] == "delivered":  # a replay got there first
                return "already-delivered"
        if not message.get("attempt") and not message.get("replay"):
            self.deliveries.started(message["app"], message["endpoint"], message["msg"], message["event"],
                                    message["target"], message["body"], now)
        answer = self.deliver(message, now)
        if answer is None:  # the endpoint is gone or disabled
            self.deliveries.set_status(message["endpoint"], message["msg"], "dropped", now)
            return "dropped"
        attempt = int(message.get("attempt") or 0) + 1
        if answer.ok:
            self.deliveries.attempted(message["endpoint"], message["msg"], now, "delivered", answer.status,
                                      answer.latency_ms, None)
            return "delivered"
        error = answer.error or f"HTTP {answer.status}"
        wait = backoff(attempt)
        first = float(message.get("first") or now)
        if now + wait - first > GIVE_UP_SECONDS:
            self.deliveries.attempted(message["endpoint"], message["msg"], now, "dead", answer.status,
                                      answer.latency_ms, error)
            self.queue.send_dead({**message, "attempt": attempt})
            log.event(logging.WARNING, event="delivery_dead", endpoint=message["endpoint"], msg=message["msg"],
                      attempts=attempt)
            return "dead"
        self.deliveries.attempted(message["endpoint"], message["msg"], now, "failed", answer.status,
                                  answer.latency_ms, error)
        self.queue.send([{**message, "attempt": attempt, "first": first, "due": now + wait}],
                        delay=min(wait, self.max_sqs_delay))
        return "retry"

    def run_once(self, wait: int = 0) -> list:
        """Receive and handle one batch (the local worker, tests); returns the outcomes."""
        outcomes = []
        for message, receipt in self.queue.receive(wait=wait):
            try:
                outcomes.append(self.handle(message))
            except Exception as e:  # noqa: BLE001 - leave it to SQS: redelivered, then the DLQ
                log.event(logging.ERROR, event="delivery_error", type=type(e).__name__)
                outcomes.append("error")
                continue
            self.queue.delete(receipt)
        return outcomes


class LocalWorker(threading.Thread):
    """``make run``: polls moto's queue, as Lambda's SQS trigger does in AWS."""

    def __init__(self, worker_factory):
        super().__init__(name="verikit-events", daemon=True)
        self.worker_factory = worker_factory
        self.stopped = threading.Event()

    def run(self) -> None:
        worker = None
        while not self.stopped.is_set():
            try:
                worker = worker or self.worker_factory()
                if not worker.run_once(wait=1):
                    self.stopped.wait(0.2)
            except Exception as e:  # noqa: BLE001 - keep polling (moto restarting, a test reset)
                log.event(logging.WARNING, event="local_worker_error", type=type(e).__name__)
                self.stopped.wait(1)

    def stop(self) -> None:
        self.stopped.set()
