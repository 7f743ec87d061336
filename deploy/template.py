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
    if spec.pitr:
        props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    policy = "Retain" if spec.kind in RETAIN_KINDS else "Delete"
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": policy,
            "Properties": props}


def build(stage: str, project_dir: Path = ROOT) -> dict:
    specs = table_specs(stage, project_dir)
    resources = {logical_id(s): table_resource(s) for s in specs}
    outputs = {f"{logical_id(s)}Name": {"Description": f"the {s.kind} table", "Value": {"Ref": logical_id(s)}}
               for s in specs}
    from .gateway import cloudformation_resources
    resources.update(cloudformation_resources())
    return {"Resources": resources, "Outputs": outputs}


def write(stage: str, out: Path, project_dir: Path = ROOT) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(stage, project_dir), indent=2) + "\n")
    return out
