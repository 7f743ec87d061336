"""Adapters of the core's events port (``core/events.py``): who hears what the core announces.

- ``leanengine``  LeanEngine's hooks, called as LeanCloud's server called them (before-hooks
                  synchronously and fail closed; after-hooks and onVerified queued);
- ``webhooks``    signed event webhooks (Standard Webhooks) to the endpoints an admin set up;
- ``queue``       the SQS queue both go through, and the ``on_sqs_message`` delivery worker
                  (retries with exponential backoff for a day, then a dead-letter queue);
- ``dispatch``    the ``Events`` implementation that puts them together (``wiring.events()``).
"""
