"""Counting verified codes off the request path: the codes table's stream consumer.

A verify is one conditional ``UpdateItem`` on the code (its attempt charged and its guess
judged in the same write, so parallel guesses never escape ``max_attempts``). Counting the
verification for the fraud guard and the stats is a second write, and it must not be
judged before the guess is charged; so deployed stages (``VERIKIT_VERIFIED_COUNTS=stream``)
count it here instead: the stream of the codes table carries every code item as written, and
for each code whose last guess spent it this consumer writes, in ONE transaction, the
guard's and the stats' counts (as ``core.service._verified`` does inline) and a mark of that
code (an item ``@counted#<code key>#<hash>``, created only once). A record delivered twice,
two consumers at once, or a newer code sent to the number before the record is read: each
code counts once. The count goes in the window the code was spent in (``guessed_at``), however
late the record is read.

A record that is not a spent, uncounted code is skipped. A count that fails after retries
fails the batch: Lambda retries it (records already counted are skipped by their mark).
Under ``make run`` (``inline``) the verify counts in the request, and this is not wired.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger("verikit")


def enabled() -> bool:
    """Counting by the stream is on (deployed stages); with ``inline`` the request counts and
    the consumer must not (it would count twice)."""
    return os.environ.get("VERIKIT_VERIFIED_COUNTS", "inline") == "stream"


def stream_arn() -> str:
    """The codes table's stream for ``app.on_dynamodb_record``: ``deploy`` sets it from the
    table (``LatestStreamArn``); ``chalice package`` gets a stand-in that the merged template
    replaces with the table's ``StreamArn`` (deploy/template.py)."""
    stage = os.environ.get("VERIKIT_STAGE", "dev")
    return os.environ.get("VERIKIT_CODES_STREAM_ARN") or \
        f"arn:aws:dynamodb:us-east-1:000000000000:table/verikit-{stage}-codes/stream/unset"


def count_image(image: dict) -> bool:
    """Count the code in ``image`` (a stream record's ``NewImage``) if it was spent and is not
    counted yet; True when this call counted it."""
    from ..store.codes import counted_op, spent_image

    spent = spent_image(image or {})
    if spent is None:
        return False
    from .. import wiring

    otp = wiring.service()
    if otp.stats is None:
        return False
    # (a test number's code is marked ``test`` when issued: spent_image skips it, as the
    # request does, whatever the test numbers are by the time the record is read)
    s, at = otp.config.get(spent["app_id"]).settings, spent["at"]
    otp.stats.baseline(spent["app_id"], s, "", at)  # the thresholds of the app's baseline, as the send had
    done = otp.stats.credit(spent["app_id"], s, spent["key"], spent["purpose"], spent["target"], at,
                            spent["channel"], spent["ip"], mark=counted_op(spent, at),
                            provider=spent.get("provider"))
    if done is None:
        return False  # counted already (a record delivered twice)
    channel, country = done
    if otp.metrics is not None:
        otp.metrics("Verified", channel, country or "none")
    return True


def handle(records) -> int:
    """Count every spent code among ``records`` (chalice ``DynamoDBRecord``s or raw stream
    records); how many were counted here."""
    if not enabled():
        return 0
    from ..core.errors import VerikitError

    n = 0
    for record in records:
        image = record.new_image if hasattr(record, "new_image") else (record.get("dynamodb") or {}).get("NewImage")
        if not image:
            continue  # a removal (TTL) or a record without an image
        try:
            n += count_image(image)
        except VerikitError as e:  # this record can never be counted (e.g. its app was removed): skip it
            log.warning("a verification not counted: %s", type(e).__name__)
        except Exception as e:  # DynamoDB failed: the batch is retried; counted ones are skipped
            log.warning("could not count a verification: %s", type(e).__name__)
            raise
    return n
