"""A CloudFormation template of the stage's tables, from the same models as ``provision``.

Meant for ``chalice package --merge-template``: chalice's SAM template (Lambda, API, role)
plus these ``AWS::DynamoDB::Table`` resources (and JSON gateway responses on its
``RestAPI``, see ``gateway.py``) is the whole stack. CloudFormation cannot
create SSM SecureString parameters, so ``python -m deploy provision --params-only`` creates
them (once, before the first stack deployment).
"""
from __future__ import annotations

import json
from pathlib import Path

from .tables import RETAIN_KINDS, ROOT, BILLING_MODE, TableSpec, table_specs


def logical_id(spec: TableSpec) -> str:
    return "".join(p.capitalize() for p in spec.kind.replace("-", "_").split("_")) + "Table"


def table_resource(spec: TableSpec) -> dict:
    props = {"TableName": spec.name, "BillingMode": BILLING_MODE,
             "AttributeDefinitions": spec.attribute_definitions, "KeySchema": spec.key_schema,
             "Tags": [{"Key": "verikit:table", "Value": spec.kind}]}
    if spec.global_secondary_indexes:
        props["GlobalSecondaryIndexes"] = spec.global_secondary_indexes
    if spec.ttl_attribute:
        props["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute, "Enabled": True}
    if spec.stream_view_type:
        props["StreamSpecification"] = {"StreamViewType": spec.stream_view_type}
    if spec.pitr:
        props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    policy = "Retain" if spec.kind in RETAIN_KINDS else "Delete"
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": policy,
            "Properties": props}


def build(stage: str, project_dir: Path = ROOT, for_merge: bool = False) -> dict:
    """The stack's own resources; ``for_merge`` adds what patches chalice's resources in
    ``chalice package --merge-template`` (the delivery function waits for its queue)."""
    specs = table_specs(stage, project_dir)
    resources = {logical_id(s): table_resource(s) for s in specs}
    outputs = {f"{logical_id(s)}Name": {"Description": f"the {s.kind} table", "Value": {"Ref": logical_id(s)}}
               for s in specs}
    from .gateway import cloudformation_resources
    resources.update(cloudformation_resources())
    resources.update(alarm_resources(stage))
    resources.update(queue_resources(stage))
    if for_merge:
        resources[DELIVERY_FUNCTION] = {"DependsOn": ["EventsQueue"]}
        # the counting function reads the codes table's stream: its ARN is the table's, not
        # the stand-in app.py names when chalice packages without a deployed table
        # a batch that keeps failing is split to find the record (and, after 10 tries, passed
        # over) instead of holding up its shard's counts for the stream's 24 hours
        resources[COUNT_FUNCTION] = {"Properties": {"Events": {COUNT_STREAM_EVENT: {"Properties": {
            "Stream": {"Fn::GetAtt": ["CodesTable", "StreamArn"]},
            "BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 10}}}}}
    outputs["EventsQueueUrl"] = {"Description": "the events queue (webhooks, LeanEngine after-hooks)",
                                 "Value": {"Ref": "EventsQueue"}}
    outputs["EventsDeadLetterQueueUrl"] = {"Description": "events whose delivery gave up after a day",
                                           "Value": {"Ref": "EventsDeadLetterQueue"}}
    outputs["AlarmTopicArn"] = {"Description": "SNS topic of verikit's alarms: subscribe to it",
                                "Value": {"Ref": "AlarmTopic"}}
    return {"Resources": resources, "Outputs": outputs}


# CloudWatch alarms on the metrics chalicelib/metrics.py emits (EMF, namespace verikit,
# dimension set {service: verikit}); README "Fraud guard" explains them
BLOCKED_PER_5_MIN = 20
CONVERSION_FLOOR = 0.5
CONVERSION_MIN_SENDS = 30


def _metric(name: str, period: int) -> dict:
    return {"Metric": {"Namespace": "verikit", "MetricName": name,
                       "Dimensions": [{"Name": "service", "Value": "verikit"}]},
            "Period": period, "Stat": "Sum"}


def alarm_resources(stage: str) -> dict:
    """An SNS topic and two alarms: sends blocked by the fraud guard, and a drop of the
    hourly conversion (verified / sent) of an app that sends."""
    topic = {"Ref": "AlarmTopic"}
    return {
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"verikit-{stage}-alarms"}},
        "FraudBlockedAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": f"verikit-{stage}-fraud-blocked",
            "AlarmDescription": f"More than {BLOCKED_PER_5_MIN} sends refused by the fraud guard in 5 minutes: "
                                "likely SMS pumping. GET /admin/v1/stats?group=prefix shows where.",
            "Namespace": "verikit", "MetricName": "Blocked",
            "Dimensions": [{"Name": "service", "Value": "verikit"}],
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": BLOCKED_PER_5_MIN,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [topic], "OKActions": [topic]}},
        "ConversionDropAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": f"verikit-{stage}-conversion-drop",
            "AlarmDescription": f"Under {int(CONVERSION_FLOOR * 100)}% of codes sent in the last hour were "
                                f"verified (with at least {CONVERSION_MIN_SENDS} sends): pumping the guard "
                                "records but does not block, or a delivery problem.",
            "Metrics": [
                {"Id": "sent", "MetricStat": _metric("Sent", 3600), "ReturnData": False},
                {"Id": "verified", "MetricStat": _metric("Verified", 3600), "ReturnData": False},
                {"Id": "conversion", "Label": "verified / sent",
                 "Expression": f"IF(sent >= {CONVERSION_MIN_SENDS}, verified / sent, 1)", "ReturnData": True},
            ],
            "EvaluationPeriods": 1, "Threshold": CONVERSION_FLOOR, "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": "notBreaching", "AlarmActions": [topic], "OKActions": [topic]}},
    }


# the delivery function chalice makes of app.py's on_sqs_message (README "Hooks and events")
DELIVERY_FUNCTION = "DeliverEvents"
# the function and its stream event chalice makes of app.py's on_dynamodb_record (count_verified)
COUNT_FUNCTION, COUNT_STREAM_EVENT = "CountVerified", "CountVerifiedDynamodbEventSource"


def queue_resources(stage: str) -> dict:
    """The events queue and its dead-letter queue, with the names ``hooks.queue.queue_name``
    gives the stage."""
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib.hooks.queue import MAX_RECEIVES, VISIBILITY_SECONDS

    return {
        "EventsDeadLetterQueue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete",
                                  "UpdateReplacePolicy": "Delete", "Properties": {
            "QueueName": f"verikit-{stage}-events-dlq", "MessageRetentionPeriod": 14 * 86400,
            "SqsManagedSseEnabled": True}},
        "EventsQueue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                        "Properties": {
            "QueueName": f"verikit-{stage}-events", "VisibilityTimeout": VISIBILITY_SECONDS,
            "MessageRetentionPeriod": 4 * 86400, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": MAX_RECEIVES}}},
    }


def write(stage: str, out: Path, project_dir: Path = ROOT) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(stage, project_dir, for_merge=True), indent=2) + "\n")
    return out
