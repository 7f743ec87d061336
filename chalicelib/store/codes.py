"""The codes table: one live code per (app, purpose, target), stored as a keyed hash.

Codes of the purposes that are verified by the code alone (``lookup_by_code``) also get a
lookup item keyed by a keyed hash of the code, written in the same transaction under a
condition that no other live code of that purpose holds the value. So the code alone
finds its target with one consistent read, and two live codes never share a value.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from ..core.codes import CodeRecord, Collision, StoredCode, same
from ..core.ports import MISSING
from .base import SharedConnection, BaseMeta, Cancelled, put_kwargs, table_name
from .counters import charge_ops, commit

# a consumed or dead code is kept a while for audit, then DynamoDB removes it
KEEP_AFTER_EXPIRY = 24 * 3600
TXN_RETRIES = 4
# a verify whose answer was lost may be retried from RETRY_AFTER to RETRY_SECONDS after it
# spent the code (the same request arriving twice at once is not a retry: single use holds)
RETRY_AFTER, RETRY_SECONDS = 2.0, 120


# the table's stream carries each code item as written: deployed stages count a verified
# code there, off the request path (hooks/verified_counts.py)
STREAM_VIEW = "NEW_IMAGE"


class CodeModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "codes"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("codes")
        stream_view_type = STREAM_VIEW

    pk = UnicodeAttribute(hash_key=True)
    app_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    target = UnicodeAttribute()
    channel = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    expires_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    max_attempts = NumberAttribute()
    consumed_at = NumberAttribute(null=True)  # written by versions before one-write guesses
    guess = UnicodeAttribute(null=True)        # the last guess's hash; equal to code_hash: spent
    guessed_at = NumberAttribute(null=True)
    ip = UnicodeAttribute(null=True)           # the requester's address (the guard credits it)
    counted = NumberAttribute(null=True)       # when the stream consumer counted the verification
    provider = UnicodeAttribute(null=True)     # the SMS/voice provider that carried it
    test = NumberAttribute(null=True)          # 1: a test number's fixed code (not counted)
    uid = UnicodeAttribute(null=True)          # a login code: the user it logs in (CodeRecord.user_id)
    ttl = TTLAttribute(null=True)


class LookupModel(SharedConnection, Model):
    """A lookup item in the codes table (``pk`` starts with ``@lookup#``)."""

    class Meta(BaseMeta):
        kind = "codes"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("codes")
        stream_view_type = STREAM_VIEW

    pk = UnicodeAttribute(hash_key=True)
    code_key = UnicodeAttribute()
    target = UnicodeAttribute()
    expires_at = NumberAttribute()
    ttl = TTLAttribute(null=True)


def _stored(item: CodeModel) -> StoredCode:
    return StoredCode(code_hash=item.code_hash, expires_at=int(item.expires_at),
                      attempts=int(item.attempts or 0), max_attempts=int(item.max_attempts),
                      consumed=item.consumed_at is not None or (item.guess is not None and same(item.guess, item.code_hash)))


def _state(raw: Optional[dict]) -> StoredCode:
    return _stored(CodeModel.from_raw_data(raw)) if raw else MISSING


def _spent(item: dict) -> dict:
    """What the spending write's answer tells the guard, the stats and a login: the channel the
    code went out on, the address that requested it, the provider that carried it and, for a
    login code, its user."""
    return {k: item[attr]["S"] for k, attr in (("channel", "channel"), ("ip", "ip"), ("provider", "provider"),
                                               ("user", "uid")) if attr in item}


def spent_image(image: dict) -> Optional[dict]:
    """What the stream consumer counts of a code item as the stream gives it (DynamoDB JSON):
    None unless its last guess spent it and it has not been counted yet; else its app,
    purpose, target, channel, requester IP and when it was spent."""
    try:
        if image["pk"]["S"].startswith("@") or "counted" in image or "consumed_at" in image or "test" in image:
            return None  # lookup and counted marks, codes counted by older versions, test numbers' codes
        if "guess" not in image or not same(image["guess"]["S"], image["code_hash"]["S"]):
            return None
        return {"key": image["pk"]["S"], "app_id": image["app_id"]["S"], "purpose": image["purpose"]["S"],
                "target": image["target"]["S"], "channel": image.get("channel", {}).get("S"),
                "ip": image.get("ip", {}).get("S"), "provider": image.get("provider", {}).get("S"),
                "at": int(float(image.get("guessed_at", image["created_at"])["N"])),
                "code_hash": image["code_hash"]["S"], "expires_at": int(float(image["expires_at"]["N"]))}
    except (KeyError, TypeError, ValueError):
        return None  # not a code item of ours: nothing to count


def counted_op(spent: dict, now: int) -> dict:
    """The write that marks a spent code counted, in the counting transaction: a small item
    of its own for that one code (its key and hash), created only once, so a stream record
    delivered twice counts once, and a newer code sent to the number before the record is
    read (it replaces the code item) neither loses this count nor lends it its own mark."""
    mark = f"@counted#{spent['key']}#{spent['code_hash'][:32]}"
    return {"TableName": CodeModel.Meta.table_name,
            "Item": {"pk": {"S": mark}, "counted": {"N": str(now)},
                     "ttl": {"N": str(spent["expires_at"] + KEEP_AFTER_EXPIRY)}},
            "ConditionExpression": "attribute_not_exists(pk)"}


def _ttl(expires_at: int) -> datetime:
    return datetime.fromtimestamp(expires_at + KEEP_AFTER_EXPIRY, tz=timezone.utc)


class DynamoCodeStore:
    """``CodeStore`` over DynamoDB. Every rule is a condition on a write."""

    def issue(self, record: Optional[CodeRecord], charges: list, now: int, also: tuple = ()) -> None:
        """One ``TransactWriteItems``: the code (and its lookup item), every counter under
        its condition, and ``also`` (the send-log entry, ``store/sendlog.py``)."""
        ops = []
        if record is not None:
            item = CodeModel(
                record.key, app_id=record.app_id, purpose=record.purpose, target=record.target,
                channel=record.channel, code_hash=record.code_hash, created_at=record.created_at,
                expires_at=record.expires_at, attempts=0, max_attempts=record.max_attempts,
                ip=record.client_ip or None, provider=record.provider or None, uid=record.user_id or None,
                test=1 if record.test else None, ttl=_ttl(record.expires_at))
            ops.append(("code", "Put", put_kwargs(item)))  # replaces the previous code (attempts reset)
            if record.lookup_key:
                lookup = LookupModel(record.lookup_key, code_key=record.key, target=record.target,
                                     expires_at=record.expires_at, ttl=_ttl(record.expires_at))
                free = (LookupModel.pk.does_not_exist() | (LookupModel.expires_at <= now)
                        | (LookupModel.code_key == record.key))
                ops.append(("lookup", "Put", put_kwargs(lookup, free)))
        ops += charge_ops(charges, now)
        ops += [op for op in also if op is not None]
        if not ops:
            return
        try:
            commit(ops, charges, now, TXN_RETRIES)
        except Cancelled as e:  # a condition other than a limit: the lookup's uniqueness
            if "lookup" in e.failed:
                raise Collision() from None
            raise

    def find(self, lookup_key: str, now: int) -> Optional[tuple]:
        """(code key, target) of the live code indexed under ``lookup_key``, if any."""
        try:
            item = LookupModel.get(lookup_key, consistent_read=True)
        except LookupModel.DoesNotExist:
            return None
        if int(item.expires_at) <= now:  # DynamoDB deletes expired items late
            return None
        return item.code_key, item.target

    def peek(self, key: str) -> StoredCode:
        """The code's state (``MISSING`` if none), read consistently; nothing changes."""
        try:
            return _stored(CodeModel.get(key, consistent_read=True))
        except CodeModel.DoesNotExist:
            return MISSING

    def guess(self, key: str, presented: str, now: int, spent: Optional[dict] = None) -> Optional[StoredCode]:
        """Charge one attempt and judge ``presented``, in ONE conditional ``UpdateItem``.

        The update adds 1 to ``attempts`` and records the guess, under the condition that
        the code is live, under its attempt limit and not yet spent. A code is spent
        exactly when its recorded guess equals its stored hash, so the right guess spends
        it in the same write that charges it, and no guess after it (right or wrong) gets
        through the condition. Guesses that arrive together are serialised by DynamoDB on
        the item: at most ``max_attempts`` of them are ever judged.

        Returns None when this guess spent the code (and fills ``spent`` with the channel it
        went out on, from the write's own answer: no read); otherwise the code's state (after
        a wrong guess: as written; refused: as it was; ``MISSING`` when there is none)."""
        conn = CodeModel._get_connection()
        unspent = CodeModel.guess.does_not_exist() | (CodeModel.guess != CodeModel.code_hash)
        condition = ((CodeModel.expires_at > now) & (CodeModel.attempts < CodeModel.max_attempts)
                     & unspent & CodeModel.consumed_at.does_not_exist())  # consumed_at: items of older versions
        kwargs = conn.get_operation_kwargs(
            key, actions=[CodeModel.attempts.add(1), CodeModel.guess.set(presented),
                          CodeModel.guessed_at.set(round((spent or {}).get("at", now), 3))],
            condition=condition, return_values="ALL_NEW", return_values_on_condition_failure="ALL_OLD")
        client = conn.connection.client
        try:
            item = client.update_item(**kwargs).get("Attributes")
        except client.exceptions.ConditionalCheckFailedException as e:
            old = e.response.get("Item")
            state = _state(old)
            if (spent is not None and spent.get("retry_ok") and state.consumed and old.get("guess") and same(old["guess"]["S"], presented)
                    and state.expires_at > now and "consumed_at" not in old
                    and RETRY_AFTER <= spent.get("at", now) - float(old.get("guessed_at", {}).get("N", "0"))
                    <= RETRY_SECONDS):
                # a retry of the guess that spent the code (its answer was lost): the same
                # answer again, counted nowhere (``again``)
                if spent is not None:
                    spent.update(_spent(old), again=True)
                return None
            return state
        state = _state(item)
        if not same(state.code_hash, presented):
            if spent is not None and state.attempts >= state.max_attempts:  # this guess was the last one
                spent["exhausted"], spent["channel"] = True, (item.get("channel") or {}).get("S")
            return state
        if spent is not None:
            spent.update(_spent(item))
        return None

    @staticmethod
    def carried_op(key: str, code_hash: str, provider: str) -> tuple:
        """The write (joining a send's after-call write) that names the provider that carried
        the code after a failover, on that code only (not a newer one)."""
        return ("carried", "Update", {
            "TableName": CodeModel.Meta.table_name, "Key": {"pk": {"S": key}},
            "UpdateExpression": "SET #p = :p", "ConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#p": "provider", "#h": "code_hash"},
            "ExpressionAttributeValues": {":p": {"S": provider}, ":h": {"S": code_hash}}})

    def discard(self, key: str, code_hash: str) -> None:
        try:
            CodeModel(key).delete(condition=CodeModel.code_hash == code_hash)
        except DeleteError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise

    def release(self, key: Optional[str], code_hash: Optional[str], charges: list, now: int,
                also: tuple = ()) -> None:
        """A send did not go out: delete its code, give back its charges (``store/release.py``)."""
        from .release import release
        release(key, code_hash, charges, now, also)
