"""The ``on_sqs_message`` function's body: one message (batch size 1) to the worker.

A message the worker cannot handle (DynamoDB down, a bug) raises: SQS delivers it again
after its visibility timeout and, after ``MAX_RECEIVES``, moves it to the dead-letter queue.
"""
from __future__ import annotations

import json


def handle(event) -> list:
    from .. import wiring
    worker = wiring.worker()
    return [worker.handle(json.loads(record.body)) for record in event]
