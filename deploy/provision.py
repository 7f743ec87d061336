"""Idempotent provisioning of a stage: DynamoDB tables and SSM SecureString parameters.

Every step first reads what exists and changes only what differs from the models:

- a missing table is created on-demand with the model's keys and indexes; an existing one
  gets the indexes it lacks and on-demand billing; a key schema that differs is an error
  (DynamoDB cannot change it in place);
- TTL is enabled on the model's ``TTLAttribute``; point-in-time recovery is turned on for
  the kinds in ``tables.PITR_KINDS`` (it is never turned off here);
- a parameter is created with a strong random value only when it is missing: an existing
  value is never read back into the output, compared or overwritten.

Each step is reported as ``created``, ``updated`` or ``unchanged``; a second run reports
only ``unchanged``.
"""
from __future__ import annotations

import os
import secrets
import string
import time
from dataclasses import dataclass
from pathlib import Path

from .tables import ROOT, TableSpec, ssm_prefix, table_specs

# how each secret chalicelib.runtime reads (runtime.SSM_NAMES) is generated
_ALNUM = string.ascii_letters + string.digits


def _alnum(n: int, alphabet: str = _ALNUM):
    return lambda: "".join(secrets.choice(alphabet) for _ in range(n))


GENERATORS = {
    "app-id": _alnum(24, string.ascii_lowercase + string.digits),   # public: clients send it
    "app-key": _alnum(32),                                          # ~190 bits
    "master-key": _alnum(40),                                       # ~238 bits
    "code-secret": lambda: secrets.token_hex(32),                   # 256 bits, HMAC key
    "hook-key": _alnum(40),                                         # LeanEngine's X-LC-Hook-Key
}


def parameters() -> dict:
    """short name -> generator, for every secret the runtime reads (a new one gets 40
    random alphanumerics unless ``GENERATORS`` says otherwise)."""
    _import_path()
    from chalicelib.runtime import OPTIONAL_SSM_NAMES, SSM_NAMES

    return {short: GENERATORS.get(short, _alnum(40))
            for short in [*SSM_NAMES.values(), *OPTIONAL_SSM_NAMES.values()]}


def _import_path() -> None:
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


WAIT_SECONDS = 600


class ProvisionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Change:
    kind: str        # table | index | stream | ttl | pitr | billing | queue | parameter
    name: str
    action: str      # created | updated | unchanged | deleted
    detail: str = ""

    def line(self) -> str:
        return f"  {self.action:<9} {self.kind:<9} {self.name}" + (f"  ({self.detail})" if self.detail else "")


def region() -> str:
    """``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, else us-east-1; the
    deploy tool passes it on to chalice so tables and functions land in one region."""
    import botocore.session

    return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            or botocore.session.get_session().get_config_variable("region") or "us-east-1")


def client(service: str, region_name: str | None = None):
    """A plain botocore client: credentials, profile and ``AWS_ENDPOINT_URL`` as botocore
    finds them (environment, ``~/.aws``, instance role)."""
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        service, region_name=region_name or region(),
        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


# ---- tables ---------------------------------------------------------------------------------

def _describe(ddb, name: str) -> dict | None:
    try:
        return ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        return None


def _wait_active(ddb, name: str, index: str | None = None, sleep: float = 2.0) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        table = _describe(ddb, name)
        if table is not None and table.get("TableStatus") == "ACTIVE":
            indexes = {g["IndexName"]: g.get("IndexStatus", "ACTIVE") for g in table.get("GlobalSecondaryIndexes", [])}
            if all(s == "ACTIVE" for s in indexes.values()) and (index is None or index in indexes):
                return table
        if time.monotonic() > deadline:
            raise ProvisionError(f"table {name} did not become ACTIVE within {WAIT_SECONDS}s")
        time.sleep(sleep)


def _keys(key_schema: list) -> dict:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def provision_table(ddb, spec: TableSpec) -> list:
    changes = []
    table = _describe(ddb, spec.name)
    if table is None:
        ddb.create_table(**spec.create_kwargs(), Tags=[{"Key": "verikit:table", "Value": spec.kind}])
        keys = "/".join(_keys(spec.key_schema).values())
        detail = f"on-demand, key {keys}" + (f", indexes {', '.join(spec.index_names)}" if spec.index_names else "")
        changes.append(Change("table", spec.name, "created", detail))
        table = _wait_active(ddb, spec.name)
        created = True
    else:
        created = False
        if table.get("TableStatus") != "ACTIVE":
            table = _wait_active(ddb, spec.name)
        if _keys(table["KeySchema"]) != _keys(spec.key_schema):
            raise ProvisionError(
                f"table {spec.name} exists with key schema {_keys(table['KeySchema'])}, the model has "
                f"{_keys(spec.key_schema)}; DynamoDB cannot change keys in place (migrate the data to a new table)")
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        if billing != "PAY_PER_REQUEST":
            ddb.update_table(TableName=spec.name, BillingMode="PAY_PER_REQUEST")
            changes.append(Change("billing", spec.name, "updated", f"{billing} -> PAY_PER_REQUEST"))
            table = _wait_active(ddb, spec.name)
        existing = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
        for index in spec.global_secondary_indexes:
            have = existing.get(index["IndexName"])
            if have is not None:
                if _keys(have["KeySchema"]) != _keys(index["KeySchema"]):
                    raise ProvisionError(
                        f"index {spec.name}/{index['IndexName']} exists with keys {_keys(have['KeySchema'])}, the "
                        f"model has {_keys(index['KeySchema'])}; delete the index and run provision again")
                continue
            # one index creation at a time: DynamoDB refuses a second while one is building
            ddb.update_table(TableName=spec.name, AttributeDefinitions=spec.attribute_definitions,
                             GlobalSecondaryIndexUpdates=[{"Create": index}])
            changes.append(Change("index", f"{spec.name}/{index['IndexName']}", "created"))
            table = _wait_active(ddb, spec.name, index=index["IndexName"])
        if spec.stream_view_type:
            have = table.get("StreamSpecification") or {}
            if not have.get("StreamEnabled"):
                ddb.update_table(TableName=spec.name, StreamSpecification=spec.stream_specification)
                changes.append(Change("stream", spec.name, "created", spec.stream_view_type))
                table = _wait_active(ddb, spec.name)
            elif have.get("StreamViewType") != spec.stream_view_type:
                raise ProvisionError(
                    f"table {spec.name} has a {have.get('StreamViewType')} stream, the model wants "
                    f"{spec.stream_view_type}: disable the stream (aws dynamodb update-table --stream-specification "
                    "StreamEnabled=false), then run provision again")
        if not changes:
            detail = "on-demand" + (f", indexes {', '.join(spec.index_names)}" if spec.index_names else "")
            changes.append(Change("table", spec.name, "unchanged", detail))

    if spec.ttl_attribute:
        ttl = ddb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
        status, attr = ttl.get("TimeToLiveStatus", "DISABLED"), ttl.get("AttributeName")
        if status in ("ENABLED", "ENABLING") and attr == spec.ttl_attribute:
            if not created:
                changes.append(Change("ttl", spec.name, "unchanged", f"on {attr}"))
        elif status in ("ENABLED", "ENABLING"):
            raise ProvisionError(f"table {spec.name} has TTL on {attr!r}, the model on {spec.ttl_attribute!r}: "
                                 "disable it first (aws dynamodb update-time-to-live), then run provision again")
        elif status == "DISABLING":
            raise ProvisionError(f"TTL of {spec.name} is being disabled; run provision again in an hour")
        else:
            ddb.update_time_to_live(TableName=spec.name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": spec.ttl_attribute})
            changes.append(Change("ttl", spec.name, "created" if created else "updated", f"on {spec.ttl_attribute}"))

    if spec.pitr:
        backups = ddb.describe_continuous_backups(TableName=spec.name)["ContinuousBackupsDescription"]
        status = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus", "DISABLED")
        if status == "ENABLED":
            if not created:
                changes.append(Change("pitr", spec.name, "unchanged", "point-in-time recovery on"))
        else:
            ddb.update_continuous_backups(TableName=spec.name, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
            changes.append(Change("pitr", spec.name, "created" if created else "updated", "point-in-time recovery on"))
    return changes


def provision_tables(stage: str, ddb=None, project_dir: Path = ROOT) -> list:
    ddb = ddb or client("dynamodb")
    changes = []
    for spec in table_specs(stage, project_dir):
        changes += provision_table(ddb, spec)
    return changes


def delete_tables(stage: str, ddb=None, project_dir: Path = ROOT) -> list:
    ddb = ddb or client("dynamodb")
    changes = []
    for spec in table_specs(stage, project_dir):
        try:
            ddb.delete_table(TableName=spec.name)
            changes.append(Change("table", spec.name, "deleted"))
        except ddb.exceptions.ResourceNotFoundException:
            changes.append(Change("table", spec.name, "unchanged", "not found"))
    return changes


# ---- parameters -----------------------------------------------------------------------------

def parameter_names(stage: str, project_dir: Path = ROOT) -> dict:
    prefix = ssm_prefix(stage, project_dir)
    return {short: prefix + short for short in parameters()}


def provision_parameters(stage: str, ssm=None, kms_key_id: str | None = None, project_dir: Path = ROOT,
                         values: dict | None = None) -> list:
    """Create each missing SecureString; never read, print or overwrite an existing one.
    ``values`` (short name -> value: the LeanCloud app id and keys) replace the random
    values of the parameters they name, still only when missing."""
    values = values or {}
    ssm = ssm or client("ssm")
    names = parameter_names(stage, project_dir)
    found = {p["Name"]: p for p in ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": list(names.values())}])["Parameters"]}
    changes = []
    for short, name in names.items():
        if name in found:
            kind = found[name].get("Type")
            detail = "kept" if kind == "SecureString" else f"kept, but it is a {kind}: recreate it as a SecureString"
            if short in values:
                detail += "; not replaced by the LeanCloud value (delete the parameter first to use it)"
            changes.append(Change("parameter", name, "unchanged", detail))
            continue
        given = values.get(short)
        kw = {"Name": name, "Value": given or parameters()[short](), "Type": "SecureString", "Overwrite": False,
              "Description": f"verikit {stage} {short} " + ("(the LeanCloud app's)" if given else
                                                            "(generated by python -m deploy provision)")}
        if kms_key_id:
            kw["KeyId"] = kms_key_id
        try:
            ssm.put_parameter(**kw)
            changes.append(Change("parameter", name, "created",
                                  "SecureString, from LeanCloud" if given else "SecureString, random"))
        except ssm.exceptions.ParameterAlreadyExists:  # created meanwhile by someone else
            changes.append(Change("parameter", name, "unchanged", "kept"))
    return changes


def delete_parameters(stage: str, ssm=None, project_dir: Path = ROOT) -> list:
    ssm = ssm or client("ssm")
    names = list(parameter_names(stage, project_dir).values())
    resp = ssm.delete_parameters(Names=names)
    return ([Change("parameter", n, "deleted") for n in resp.get("DeletedParameters", [])]
            + [Change("parameter", n, "unchanged", "not found") for n in resp.get("InvalidParameters", [])])


def read_parameter(stage: str, short: str, ssm=None, project_dir: Path = ROOT) -> str | None:
    ssm = ssm or client("ssm")
    try:
        return ssm.get_parameter(Name=parameter_names(stage, project_dir)[short], WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


# ---- the events queue (webhooks, LeanEngine after-hooks) ------------------------------------------

def provision_queues(stage: str, sqs=None) -> list:
    """The events queue and its dead-letter queue, as the template makes them (``chalice
    deploy`` wires the delivery function to the queue, which must exist first)."""
    import json as _json

    from .template import queue_resources
    sqs = sqs or client("sqs")
    res = queue_resources(stage)
    changes = []
    for logical in ("EventsDeadLetterQueue", "EventsQueue"):
        props = res[logical]["Properties"]
        name = props["QueueName"]
        attrs = {"MessageRetentionPeriod": str(props["MessageRetentionPeriod"]), "SqsManagedSseEnabled": "true"}
        if "VisibilityTimeout" in props:
            attrs["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            dlq = sqs.get_queue_url(QueueName=f"verikit-{stage}-events-dlq")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attrs["RedrivePolicy"] = _json.dumps({"deadLetterTargetArn": arn,
                                                  "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]})
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            sqs.create_queue(QueueName=name, Attributes=attrs)
            changes.append(Change("queue", name, "created", "SQS"))
            continue
        have = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attrs))["Attributes"]
        differ = {k: v for k, v in attrs.items() if str(have.get(k, "")).replace(" ", "") != v.replace(" ", "")}
        if differ:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=differ)
            changes.append(Change("queue", name, "updated", ", ".join(sorted(differ))))
        else:
            changes.append(Change("queue", name, "unchanged", "SQS"))
    return changes


def provision(stage: str, params_only: bool = False, kms_key_id: str | None = None,
              project_dir: Path = ROOT, values: dict | None = None) -> list:
    changes = [] if params_only else provision_tables(stage, project_dir=project_dir) + provision_queues(stage)
    return changes + provision_parameters(stage, kms_key_id=kms_key_id, project_dir=project_dir, values=values)


def codes_stream_arn(stage: str, ddb=None, project_dir: Path = ROOT) -> str | None:
    """The stage's codes table stream (``LatestStreamArn``), for the counting function."""
    ddb = ddb or client("dynamodb")
    spec = next(t for t in table_specs(stage, project_dir) if t.kind == "codes")
    table = _describe(ddb, spec.name)
    return (table or {}).get("LatestStreamArn")
