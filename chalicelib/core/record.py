"""Value classes declared as dataclasses are, without their cost at import.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__hash__``, ``__setattr__``, ``__delattr__``) as source text and compiles it when the
class is created: 0.3-1.5 ms a class, ~25 ms over the send path's classes at every cold
start. ``class X(Record, frozen=True)`` takes the same declaration (annotations, defaults,
``dataclasses.field(...)``) and behaves the same (the same ``__init__`` arguments and
errors, equality, hashing, repr, ``FrozenInstanceError``, ``__post_init__``), with methods
shared by every class instead of generated per class. Its fields are real
``dataclasses.Field`` objects under ``__dataclass_fields__``: ``dataclasses.replace``,
``fields``, ``asdict`` and ``is_dataclass`` work on it unchanged. Not supported (refused
when declared): ``InitVar``, ``kw_only`` fields; a Record is not a base for a ``@dataclass``.
tests/test_records_behave_as_dataclasses.py holds it to a real dataclass's behaviour.
"""
from __future__ import annotations

import dataclasses
from dataclasses import MISSING, Field, FrozenInstanceError

_FIELD = dataclasses._FIELD  # the marker dataclasses.fields() selects on


def _is_classvar(annotation) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


class Record:
    __slots__ = ()
    __dataclass_fields__: dict = {}
    _rec_init: tuple = ()     # (name, default, default_factory) of the __init__ arguments, in order
    _rec_later: tuple = ()    # the same for init=False fields with a default_factory
    _rec_eq: tuple = ()       # the names compared (compare=True)
    _rec_hash: tuple = ()     # the names hashed (hash=True, or hash=None and compare=True)
    _rec_repr: tuple = ()     # the names shown (repr=True)
    _rec_frozen = False

    def __init_subclass__(cls, frozen: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        fields: dict = {}
        for base in cls.__mro__[-1:0:-1]:
            fields.update(base.__dict__.get("__dataclass_fields__", {}))
        if fields and any(b._rec_frozen != frozen for b in cls.__mro__[1:] if b.__dict__.get("__dataclass_fields__")):
            raise TypeError("cannot inherit frozen Record from non-frozen one, or the reverse")
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if _is_classvar(annotation):
                continue
            if "InitVar" in str(annotation):
                raise TypeError(f"{cls.__name__}.{name}: InitVar is not supported by Record")
            value = cls.__dict__.get(name, MISSING)
            f = value if isinstance(value, Field) else dataclasses.field(default=value)
            if f.kw_only is True:
                raise TypeError(f"{cls.__name__}.{name}: kw_only is not supported by Record")
            if f.default is not MISSING and f.default.__class__.__hash__ is None:
                raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: "
                                 "use default_factory")
            f.name, f.type, f._field_type, f.kw_only = name, annotation, _FIELD, False
            if isinstance(value, Field):
                if f.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
            fields[name] = f
        init = [f for f in fields.values() if f.init]
        seen_default = False
        for f in init:
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            if seen_default and not has_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            seen_default = seen_default or has_default
        cls.__dataclass_fields__ = fields
        cls.__match_args__ = tuple(f.name for f in init)
        cls._rec_init = tuple((f.name, f.default, f.default_factory) for f in init)
        cls._rec_later = tuple((f.name, f.default, f.default_factory) for f in fields.values()
                               if not f.init and f.default_factory is not MISSING)
        cls._rec_eq = tuple(f.name for f in fields.values() if f.compare)
        cls._rec_hash = tuple(f.name for f in fields.values() if (f.compare if f.hash is None else f.hash))
        cls._rec_repr = tuple(f.name for f in fields.values() if f.repr)
        cls._rec_frozen = frozen
        # __hash__ as @dataclass(eq=True) sets it: from the fields when frozen, none (unhashable)
        # when not, unless the class body defines one
        own = cls.__dict__.get("__hash__", MISSING)
        if own is MISSING or (own is None and "__eq__" in cls.__dict__):
            cls.__hash__ = Record._hash if frozen else None
        if frozen:
            cls.__setattr__, cls.__delattr__ = Record._frozen_setattr, Record._frozen_delattr

    def __init__(self, *args, **kwargs):
        spec = self._rec_init
        if len(args) > len(spec):
            self._bad_call(args, kwargs)
        put = object.__setattr__
        for i, (name, default, factory) in enumerate(spec):
            if i < len(args):
                if name in kwargs:
                    self._bad_call(args, kwargs)
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif factory is not MISSING:
                value = factory()
            elif default is not MISSING:
                value = default
            else:
                self._bad_call(args, kwargs)
            put(self, name, value)
        if kwargs:
            self._bad_call(args, kwargs)
        for name, _, factory in self._rec_later:
            put(self, name, factory())
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def _bad_call(self, args, kwargs):
        """The TypeError a generated ``__init__`` raises for these arguments."""
        names = [n for n, _, _ in self._rec_init]
        optional = {n for n, d, f in self._rec_init if d is not MISSING or f is not MISSING}
        where = f"{type(self).__qualname__}.__init__()"
        if len(args) > len(names):
            takes = len(names) - len(optional)
            takes = f"{takes + 1}" if takes == len(names) else f"from {takes + 1} to {len(names) + 1}"
            raise TypeError(f"{where} takes {takes} positional arguments but {len(args) + 1} were given")
        for k in kwargs:
            if k not in names:
                raise TypeError(f"{where} got an unexpected keyword argument {k!r}")
            if names.index(k) < len(args):
                raise TypeError(f"{where} got multiple values for argument {k!r}")
        missing = [n for n in names[len(args):] if n not in kwargs and n not in optional]
        quoted = [repr(n) for n in missing]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + (
            "," if len(quoted) > 2 else "") + " and " + quoted[-1]
        raise TypeError(f"{where} missing {len(missing)} required positional argument"
                        f"{'s' if len(missing) > 1 else ''}: {listed}")

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._rec_repr)})"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return tuple([getattr(self, n) for n in self._rec_eq]) == tuple([getattr(other, n) for n in self._rec_eq])
        return NotImplemented

    def _hash(self) -> int:
        return hash(tuple([getattr(self, n) for n in self._rec_hash]))

    def _frozen_setattr(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _frozen_delattr(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")
