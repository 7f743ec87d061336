"""core/record.py's Record behaves as the @dataclass it replaces on the cold path: each
declaration below is made both ways and every behaviour the code relies on is compared
(construction and its errors, defaults and factories, equality, hashing, repr, frozen
assignment, __post_init__, dataclasses.replace / fields / asdict); and the send path's
modules declare no real dataclass any more (each one cost 0.3-1.5 ms of a cold start)."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from dataclasses import FrozenInstanceError, dataclass, field
from typing import ClassVar, Optional

import pytest

from chalicelib.core.record import Record
from conftest import ROOT


@dataclass(frozen=True)
class DPoint:
    x: int
    y: int = 0
    tags: tuple = ()
    meta: dict = field(default_factory=dict, compare=False, repr=False)
    limit: int = field(default=5, metadata={"min": 1})
    KIND: ClassVar[str] = "point"


class RPoint(Record, frozen=True):
    x: int
    y: int = 0
    tags: tuple = ()
    meta: dict = field(default_factory=dict, compare=False, repr=False)
    limit: int = field(default=5, metadata={"min": 1})
    KIND: ClassVar[str] = "point"


@dataclass
class DBox:
    items: list = field(default_factory=list)
    label: Optional[str] = None
    seen: int = field(default=0, init=False)
    made: list = field(default_factory=lambda: ["made"], init=False)

    def __post_init__(self):
        self.seen += 1


class RBox(Record):
    items: list = field(default_factory=list)
    label: Optional[str] = None
    seen: int = field(default=0, init=False)
    made: list = field(default_factory=lambda: ["made"], init=False)

    def __post_init__(self):
        self.seen += 1


def outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # the same exception type and message
        return type(e).__name__, str(e).replace("DPoint", "X").replace("RPoint", "X").replace("DBox", "X").replace(
            "RBox", "X")


@pytest.mark.parametrize("args, kwargs", [
    ((1,), {}), ((1, 2), {}), ((1, 2, ("a",)), {"limit": 7}), ((), {"x": 3, "meta": {"k": 1}}),
    ((), {}), ((1, 2, (), {}, 5, 6), {}), ((1,), {"x": 2}), ((1,), {"z": 2}),
])
def test_construction_and_its_errors_match(args, kwargs):
    d, r = outcome(lambda: DPoint(*args, **kwargs)), outcome(lambda: RPoint(*args, **kwargs))
    assert d[0] == r[0]
    if d[0] == "ok":
        assert repr(d[1]).replace("DPoint", "X") == repr(r[1]).replace("RPoint", "X")
        assert dataclasses.asdict(d[1]) == dataclasses.asdict(r[1])
    else:
        assert d[1] == r[1]


def test_equality_hash_and_frozen_match():
    a, b, c = RPoint(1, 2, meta={"a": 1}), RPoint(1, 2, meta={"b": 2}), RPoint(1, 3)
    da, db = DPoint(1, 2, meta={"a": 1}), DPoint(1, 2, meta={"b": 2})
    assert (a == b) == (da == db) is True  # meta is compare=False
    assert a != c and a != da and (a == (1, 2)) is False
    assert hash(a) == hash(b) and {a, b, c} == {a, c}
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        a.x = 5
    with pytest.raises(FrozenInstanceError):
        del a.y
    assert RPoint.KIND == "point" and "KIND" not in RPoint.__dataclass_fields__
    assert RPoint.__match_args__ == DPoint.__match_args__


def test_replace_fields_and_asdict_work_unchanged():
    r = RPoint(1, tags=("t",))
    r2 = dataclasses.replace(r, y=9)
    assert type(r2) is RPoint and (r2.x, r2.y, r2.tags) == (1, 9, ("t",)) and r.y == 0
    assert [(f.name, f.default, f.metadata) for f in dataclasses.fields(RPoint)] == \
        [(f.name, f.default, f.metadata) for f in dataclasses.fields(DPoint)]
    assert dataclasses.is_dataclass(r) and dataclasses.fields(r)[3].default_factory is dict
    with pytest.raises(TypeError):
        dataclasses.replace(r, nope=1)


def test_mutable_records_post_init_and_init_false_match():
    d, r = DBox([1]), RBox([1])
    assert (d.items, d.label, d.seen, d.made) == (r.items, r.label, r.seen, r.made) == ([1], None, 1, ["made"])
    r.label = "x"
    assert r.label == "x" and RBox().items is not RBox().items
    assert outcome(lambda: RBox(seen=3))[1] == outcome(lambda: DBox(seen=3))[1]
    with pytest.raises(TypeError):
        hash(r)  # eq without frozen: unhashable, as a dataclass
    assert dataclasses.replace(r, label="y").seen == 1 == dataclasses.replace(d, label="y").seen


def test_declarations_a_dataclass_refuses_are_refused():
    with pytest.raises(ValueError, match="mutable default"):
        class Bad(Record):
            items: list = []
    with pytest.raises(TypeError, match="non-default argument"):
        class Bad2(Record):
            a: int = 1
            b: int


def test_the_send_path_declares_no_dataclass():
    """app and what its first send imports: no class of ours is a real dataclass."""
    code = (
        "import sys, app, chalicelib.aws, chalicelib.channels.sns, chalicelib.channels.voice, "
        "chalicelib.store.codes, chalicelib.store.config, chalicelib.store.sendlog, chalicelib.store.stats, "
        "chalicelib.metrics, chalicelib.channels.ses, chalicelib.channels.providers, chalicelib.store.provider_stats, "
        "chalicelib.hooks.dispatch, chalicelib.store.webhooks\n"
        "found = [f'{m}.{k}' for m, mod in list(sys.modules.items()) if m.startswith('chalicelib') or m == 'app'\n"
        "         for k, v in vars(mod).items() if isinstance(v, type) and v.__module__ == m\n"
        "         and '__dataclass_params__' in v.__dict__]\n"
        "assert not found, found\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]


@dataclass
class DThree:
    a: int
    b: int
    c: int


class RThree(Record):
    a: int
    b: int
    c: int


@pytest.mark.parametrize("args, kwargs", [((), {}), ((1,), {}), ((1, 2), {}), ((), {"b": 1}), ((1, 2, 3, 4), {}),
                                          ((1,), {"a": 1}), ((1, 2, 3), {"d": 1})])
def test_missing_and_surplus_arguments_are_named_alike(args, kwargs):
    d, r = outcome(lambda: DThree(*args, **kwargs)), outcome(lambda: RThree(*args, **kwargs))
    assert d == r or (d[0] == r[0] == "TypeError" and d[1].replace("DThree", "X") == r[1].replace("RThree", "X"))
