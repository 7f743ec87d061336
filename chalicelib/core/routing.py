"""Which SMS providers carry a message, and what a template provider sends (pure rules).

- ``sms_routes``: an ordered provider list per destination country (ISO code) with a
  ``"*"`` default, e.g. ``{"CN": ["aliyun", "tencent"], "*": ["sns"]}``. The send tries them
  in order (``channels/router.py``); the default is ``{"*": ["sns"]}``.
- ``provider_templates``: for the template providers (Alibaba Cloud, Tencent Cloud), the
  provider's template id per purpose or per admin-defined template name,
  e.g. ``{"aliyun": {"generic": "SMS_150000001", "login": "SMS_150000002"}}``. A built-in
  purpose without its own id uses ``generic``; a named template (LeanCloud's ``template``)
  needs its own. A send routed to a template provider that has no id for it is refused
  before any code is issued (``ProviderNotConfigured``), never sent some other way.

The sign name a template provider sends is the request's ``sign`` (or ``name``), checked
against the app's signatures as today (``core/brand.py``), else ``signature``, else the
first of ``signatures``.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional

from .errors import FeatureDisabled, InvalidRequest
from .record import Record

PROVIDERS = ("sns", "aliyun", "tencent", "twilio", "vonage", "hook")
TEMPLATE_PROVIDERS = ("aliyun", "tencent")
DEFAULT_ROUTES = {"*": ["sns"]}
GENERIC = "generic"
# the built-in purposes as provider_templates names them (core/purposes.py names "sms" the generic one)
PURPOSE_KEYS = {"sms": GENERIC}
# patterns compiled on first use (re's cache), not at every cold start
_ID = r"^[A-Za-z0-9_\-.]{1,64}$"
_KEY = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
_BUILTIN_VARS = ("code", "ttl", "name", "op", "link")


class ProviderNotConfigured(FeatureDisabled):
    """A send routed to a provider that cannot carry it as configured (no template id, no
    sign name): refused before anything is charged or issued."""

    kind = "disabled"


class Route(Record, frozen=True):
    providers: tuple                 # in the order they are tried
    template_ids: Mapping[str, str]  # template provider -> its template id for this send
    sign: str                        # the sign name template providers send
    key: str                         # the purpose or template name the ids were looked up by
    variable_order: tuple            # the request's variables in the order the template declares them


# ---- the settings' checks (core/settings.py calls them) ----------------------------------------

def _known_region(code: str) -> bool:
    if not (len(code) == 2 and code.isalpha()):
        return False
    import phonenumbers  # only when settings are validated

    return code in phonenumbers.SUPPORTED_REGIONS


def check_routes(name: str, value) -> dict:
    if not isinstance(value, dict) or not value or len(value) > 300:
        raise InvalidRequest(f"setting {name} must be an object of country codes (and \"*\") to provider lists")
    out = {}
    for region, providers in value.items():
        code = region.strip().upper() if isinstance(region, str) else ""
        if code != "*" and not _known_region(code):
            raise InvalidRequest(f"setting {name}: {region!r} is not an ISO 3166 alpha-2 region code or \"*\"")
        if (not isinstance(providers, list) or not providers or len(providers) > len(PROVIDERS)
                or not all(isinstance(p, str) for p in providers)):
            raise InvalidRequest(f"setting {name}.{code} must be a non-empty list of providers "
                                 f"({', '.join(PROVIDERS)})")
        unknown = [p for p in providers if p not in PROVIDERS]
        if unknown:
            raise InvalidRequest(f"setting {name}.{code}: unknown provider {unknown[0]!r} "
                                 f"(one of {', '.join(PROVIDERS)})")
        if len(set(providers)) != len(providers):
            raise InvalidRequest(f"setting {name}.{code} names a provider twice")
        out[code] = list(providers)
    if "*" not in out:
        raise InvalidRequest(f"setting {name} needs a \"*\" entry: the providers of every other country")
    return out


def check_templates(name: str, value) -> dict:
    if not isinstance(value, dict) or len(value) > len(TEMPLATE_PROVIDERS):
        raise InvalidRequest(f"setting {name} must be an object keyed by {', '.join(TEMPLATE_PROVIDERS)}")
    out = {}
    for provider, ids in value.items():
        if provider not in TEMPLATE_PROVIDERS:
            raise InvalidRequest(f"setting {name}: {provider!r} sends no templates "
                                 f"(template providers: {', '.join(TEMPLATE_PROVIDERS)})")
        if not isinstance(ids, dict) or len(ids) > 200:
            raise InvalidRequest(f"setting {name}.{provider} must be an object of purpose or template names "
                                 "to the provider's template ids")
        for key, tid in ids.items():
            if not isinstance(key, str) or not re.match(_KEY, key):
                raise InvalidRequest(f"setting {name}.{provider}: {key!r} is not a purpose or template name")
            if not isinstance(tid, str) or not re.match(_ID, tid):
                raise InvalidRequest(f"setting {name}.{provider}.{key} must be the provider's template id "
                                     "(1-64 letters, digits, _ - .)")
        out[provider] = dict(ids)
    return out


# ---- routing -------------------------------------------------------------------------------------

def providers_for(region: str, s) -> tuple:
    """The providers a number of ``region`` is sent through, in order."""
    routes = s.sms_routes or DEFAULT_ROUTES
    return tuple(routes.get(region or "", routes.get("*", DEFAULT_ROUTES["*"])))


def first_provider(number, s) -> str:
    """The provider a send to ``number`` (E.164) tries first: what a send plans to use (the
    fraud guard may record it in its transaction)."""
    from . import phone

    region = getattr(number, "region", None)
    if region is None:
        region = phone.normalise(number, s.default_region, ("*",)).region
    return providers_for(region, s)[0]


def template_key(purpose: str, template: Optional[str]) -> str:
    """The name ``provider_templates`` is looked up by: the request's template, else the purpose."""
    return template or PURPOSE_KEYS.get(purpose, purpose)


def plan(s, region: str, purpose: str, template_name: Optional[str], template_body: str,
         sign: Optional[str]) -> Route:
    """The route of one SMS, or ``ProviderNotConfigured`` when a template provider on it has
    no template id (or no sign name) for this send."""
    providers = providers_for(region, s)
    key = template_key(purpose, template_name)
    ids = {}
    for p in providers:
        if p not in TEMPLATE_PROVIDERS:
            continue
        mine = (s.provider_templates or {}).get(p, {})
        tid = mine.get(key) or (None if template_name else mine.get(GENERIC))
        if not tid:
            wanted = f"template {key!r}" if template_name else \
                (f"{key!r} (or {GENERIC!r})" if key != GENERIC else repr(GENERIC))
            raise ProviderNotConfigured(
                f"SMS to {region or 'this country'} is routed to {p}, but provider_templates has no {p} template id "
                f"for {wanted}: add it in the settings, or change sms_routes")
        ids[p] = tid
    sign = (sign or "").strip() or s.signature or (s.signatures[0] if s.signatures else "")
    if ids and not sign:
        raise ProviderNotConfigured(f"SMS to {region or 'this country'} is routed to {', '.join(ids)}, which "
                                    "send a registered sign name: set signature (or send sign)")
    return Route(providers, ids, sign, key, variable_order(template_body))


def variable_order(body: str) -> tuple:
    """The request's variables in the order ``body`` declares them (code and ttl come first
    in a Tencent TemplateParamSet, the built-ins are not variables)."""
    from .templates import PLACEHOLDER

    return tuple(dict.fromkeys(v for v in PLACEHOLDER.findall(body or "") if v not in _BUILTIN_VARS))
