"""Table definitions per stage, derived from the pynamodb models (the one source of truth).

A model's *kind* is its module's name (``chalicelib.store.codes`` -> ``codes``); the stage's
table name is what ``.chalice/config.json`` gives the Lambda (``VERIKIT_<KIND>_TABLE``),
falling back to ``verikit-<stage>-<kind>`` as ``chalicelib.store.base.table_name`` does.
Names are computed per stage here: the models' own ``Meta.table_name`` was fixed from the
environment when they were imported.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# point-in-time recovery (35 days of restorable history) for the data that cannot be
# regenerated: the users and the apps' configuration. Codes, counters and the send log
# expire within days anyway.
PITR_KINDS = frozenset({"users", "config"})
# CloudFormation keeps these tables when the stack is deleted or a table is replaced
RETAIN_KINDS = PITR_KINDS
BILLING_MODE = "PAY_PER_REQUEST"


class StageError(ValueError):
    pass


def chalice_config(project_dir: Path = ROOT) -> dict:
    return json.loads((Path(project_dir) / ".chalice" / "config.json").read_text())


def stages(project_dir: Path = ROOT) -> list:
    return sorted(chalice_config(project_dir).get("stages", {}))


def stage_env(stage: str, project_dir: Path = ROOT) -> dict:
    """The environment variables ``.chalice/config.json`` gives the stage's Lambda."""
    cfg = chalice_config(project_dir)
    if stage not in cfg.get("stages", {}):
        raise StageError(f"unknown stage {stage!r}: .chalice/config.json defines {sorted(cfg.get('stages', {}))}")
    env = dict(cfg.get("environment_variables", {}))
    env.update(cfg["stages"][stage].get("environment_variables", {}))
    return env


def ssm_prefix(stage: str, project_dir: Path = ROOT) -> str:
    prefix = stage_env(stage, project_dir).get("VERIKIT_SSM_PREFIX") or f"/verikit/{stage}/"
    return prefix if prefix.endswith("/") else prefix + "/"


def model_kind(model) -> str:
    """The table's kind, as each model's Meta names it (not its module: a store module may
    keep its model in another file)."""
    return model.Meta.kind


@dataclass(frozen=True)
class TableSpec:
    kind: str
    name: str
    attribute_definitions: list
    key_schema: list
    global_secondary_indexes: list = field(default_factory=list)
    ttl_attribute: str | None = None
    pitr: bool = False
    stream_view_type: str | None = None  # the table's stream (codes: counted off the request path)

    @property
    def index_names(self) -> list:
        return [g["IndexName"] for g in self.global_secondary_indexes]

    def create_kwargs(self) -> dict:
        """``CreateTable`` parameters (botocore casing)."""
        kw = {"TableName": self.name, "BillingMode": BILLING_MODE,
              "AttributeDefinitions": self.attribute_definitions, "KeySchema": self.key_schema}
        if self.global_secondary_indexes:
            kw["GlobalSecondaryIndexes"] = self.global_secondary_indexes
        if self.stream_view_type:
            kw["StreamSpecification"] = self.stream_specification
        return kw

    @property
    def stream_specification(self) -> dict:
        return {"StreamEnabled": True, "StreamViewType": self.stream_view_type}

    def stream_arns(self, region: str = "*", account: str = "*") -> list:
        return [f"arn:aws:dynamodb:{region}:{account}:table/{self.name}/stream/*"] if self.stream_view_type else []

    def arns(self, region: str = "*", account: str = "*") -> list:
        """IAM resources for the table and, where it has indexes, its indexes."""
        base = f"arn:aws:dynamodb:{region}:{account}:table/{self.name}"
        return [base] + ([base + "/index/*"] if self.global_secondary_indexes else [])


def _index(raw: dict) -> dict:
    projection = {"ProjectionType": raw["projection"]["ProjectionType"]}
    if raw["projection"].get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = list(raw["projection"]["NonKeyAttributes"])
    return {"IndexName": raw["index_name"], "KeySchema": list(raw["key_schema"]), "Projection": projection}


def spec_for(model, stage: str, project_dir: Path = ROOT) -> TableSpec:
    kind = model_kind(model)
    schema = model._get_schema()
    if schema.get("local_secondary_indexes"):
        raise NotImplementedError(f"{model.__name__}: local secondary indexes are not provisioned")
    attrs: dict = {}
    for d in schema["attribute_definitions"] + [d for g in schema["global_secondary_indexes"]
                                                for d in g.get("attribute_definitions", [])]:
        attrs.setdefault(d["AttributeName"], d["AttributeType"])
    ttl = model._ttl_attribute()
    name = stage_env(stage, project_dir).get(f"VERIKIT_{kind.upper()}_TABLE") or f"verikit-{stage}-{kind}"
    return TableSpec(
        kind=kind, name=name,
        attribute_definitions=[{"AttributeName": k, "AttributeType": v} for k, v in attrs.items()],
        key_schema=[{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in schema["key_schema"]],
        global_secondary_indexes=[_index(g) for g in schema["global_secondary_indexes"]],
        ttl_attribute=ttl.attr_name if ttl is not None else None,
        pitr=kind in PITR_KINDS, stream_view_type=getattr(model.Meta, "stream_view_type", None))


def table_specs(stage: str, project_dir: Path = ROOT) -> list:
    """One :class:`TableSpec` per model of ``chalicelib.store.all_models()``."""
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib.store import all_models

    specs = [spec_for(m, stage, project_dir) for m in all_models()]
    kinds = [s.kind for s in specs]
    if len(set(kinds)) != len(kinds):
        raise StageError(f"two models share a table kind: {kinds}")
    return specs
