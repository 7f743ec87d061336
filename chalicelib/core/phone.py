"""Phone numbers: parse, check and normalise to E.164 with ``phonenumbers``."""
from __future__ import annotations

import sys
import threading

from .errors import InvalidPhoneNumber
from .record import Record

_lock = threading.RLock()


def numbers():
    """``phonenumbers.phonenumberutil``, everything a send needs (parse, validate, type,
    region, format), loaded without the package's ``__init__``: that one also imports the
    as-you-type formatter, the number matcher and short numbers, ~10-20 ms of a cold start
    that no route uses. ``import phonenumbers`` elsewhere still works: the package module
    runs its real ``__init__`` the first time an attribute it lacks is asked for."""
    util = sys.modules.get("phonenumbers.phonenumberutil")
    if util is not None:
        return util
    with _lock:
        if "phonenumbers" not in sys.modules:
            import importlib.util

            spec = importlib.util.find_spec("phonenumbers")
            pkg = importlib.util.module_from_spec(spec)  # __path__ set: submodules import

            def complete(name):
                with _lock:
                    if pkg.__dict__.pop("__getattr__", None) is not None:
                        spec.loader.exec_module(pkg)  # the real __init__, over the loaded submodules
                return pkg.__dict__[name] if name in pkg.__dict__ else _missing(name)

            def _missing(name):
                raise AttributeError(f"module 'phonenumbers' has no attribute {name!r}")

            pkg.__getattr__ = complete
            sys.modules["phonenumbers"] = pkg
            if "phonenumbers.data" not in sys.modules:
                _data_without_alt_formats()
        import phonenumbers.phonenumberutil as util
    return util


def _data_without_alt_formats() -> None:
    """Imports ``phonenumbers.data`` with its 46 alternate-format modules (only the number
    matcher reads them; ~3-5 ms of a cold start) left for their first use: see
    ``_DeferringLoader``. Through the import system, as any import (``-X importtime`` sees it)."""
    import importlib.machinery

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name != "phonenumbers.data":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _DeferringLoader(spec.loader)
            return spec

    finder = Finder()
    sys.meta_path.insert(0, finder)
    try:
        import phonenumbers.data  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


class _DeferringLoader:
    """Runs the package's own code, each ``from .alt_format_N import PHONE_ALT_FORMAT_N`` in
    it answered by the module's name; ``_ALT_NUMBER_FORMATS`` and the ``PHONE_ALT_FORMAT_N``
    are the real ones again, loaded by the module's ``__getattr__`` when first asked for
    (``from .data import _ALT_NUMBER_FORMATS`` too, as the matcher does)."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):  # get_code, get_filename, is_package...: the real loader's
        return getattr(self.real, name)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        import builtins
        import importlib
        import types

        ns, deferred = module.__dict__, {}  # PHONE_ALT_FORMAT_N -> alt_format_N
        real_import = builtins.__import__

        def deferring(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 1 and globals is ns and name.startswith("alt_format_") and len(fromlist or ()) == 1:
                deferred[fromlist[0]] = name
                return types.SimpleNamespace(**{fromlist[0]: name})
            return real_import(name, globals, locals, fromlist, level)

        own_builtins = dict(builtins.__dict__, __import__=deferring)
        ns["__builtins__"] = own_builtins
        try:
            exec(self.real.get_code(module.__name__), ns)
        finally:
            own_builtins["__import__"] = real_import  # the module's functions keep this dict
            ns["__builtins__"] = builtins.__dict__  # as any imported module has it
        if not deferred or not isinstance(ns.get("_ALT_NUMBER_FORMATS"), dict):
            return  # another layout of the package: nothing deferred that is not loaded by now
        formats = ns.pop("_ALT_NUMBER_FORMATS")  # country code -> alt_format_N
        for attr in deferred:
            ns.pop(attr, None)

        def load(name):
            if name != "_ALT_NUMBER_FORMATS" and name not in deferred:
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
            with _lock:
                if "_ALT_NUMBER_FORMATS" not in ns:
                    for attr, sub in deferred.items():
                        ns[attr] = getattr(importlib.import_module(f"{module.__name__}.{sub}"), attr)
                    by_module = {sub: attr for attr, sub in deferred.items()}
                    ns["_ALT_NUMBER_FORMATS"] = {cc: ns[by_module[m]] for cc, m in formats.items()}
                    del ns["__getattr__"]
            return ns[name]

        ns["__getattr__"] = load


class PhoneNumber(Record, frozen=True):
    e164: str
    region: str

    def masked(self) -> str:
        return mask(self.e164)


def mask(e164: str) -> str:
    """``+8613800138000`` -> ``+86138****8000``: enough to debug, not to harvest."""
    if len(e164) <= 8:
        return e164[:3] + "*" * max(0, len(e164) - 3)
    return e164[:6] + "*" * (len(e164) - 10) + e164[-4:]


def normalise(raw: object, default_region: str, allowed_regions: tuple) -> PhoneNumber:
    """Return the E.164 form of ``raw`` or raise ``InvalidPhoneNumber``.

    A leading ``+`` means international; anything else is read in ``default_region``.
    Numbers that cannot receive SMS (landlines, pagers, premium rate...) are refused,
    as are regions outside ``allowed_regions`` (``"*"`` allows all).
    """
    phonenumbers = numbers()  # lazy: only the routes that take a number pay for it
    T = phonenumbers.PhoneNumberType

    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhoneNumber("mobilePhoneNumber is missing or not a string")
    text = raw.strip()
    if len(text) > 32:
        raise InvalidPhoneNumber("mobile phone number is too long")
    try:
        num = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"invalid mobile phone number: {text!r}") from None
    if not phonenumbers.is_valid_number(num):
        raise InvalidPhoneNumber(f"invalid mobile phone number: {text!r}")
    kind = phonenumbers.number_type(num)
    if kind not in (T.MOBILE, T.FIXED_LINE_OR_MOBILE):
        raise InvalidPhoneNumber(f"not a mobile phone number (cannot receive SMS): {text!r}")
    region = phonenumbers.region_code_for_number(num) or ""
    if "*" not in allowed_regions and region not in allowed_regions:
        raise InvalidPhoneNumber(f"sending to region {region or 'unknown'} is not allowed")
    return PhoneNumber(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), region)


def lenient(raw: str, default_region: str) -> str:
    """A number as people type it into a query string, in E.164: ``+86...``, ``86...`` (the
    ``+`` lost or decoded into a space) or national ``138...`` in the default region."""
    raw = raw or ""
    if raw[:1] == " ":  # "+" decoded as a space
        raw = "+" + raw.strip()
    raw = raw.strip()
    try:
        return normalise(raw, default_region, ("*",)).e164
    except InvalidPhoneNumber:
        if raw.isascii() and raw.isdigit():
            return normalise("+" + raw, default_region, ("*",)).e164
        raise
