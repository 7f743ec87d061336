"""Message templates: ``{{variable}}`` placeholders, rendered in one pass.

One pass means a variable's value is never scanned again, so a value such as
``{{code}}`` or another template's text is printed literally: no injection.
"""
from __future__ import annotations

import re
from dataclasses import field
from typing import Mapping, Optional

from .errors import InvalidRequest
from .messages import clean
from .record import Record

# patterns compiled on first use (re's cache), not at every cold start
NAME = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# "page": the HTML a verification link lands on (verify_success_page, verify_error_page)
CHANNELS = ("sms", "voice", "email", "page")
BUILTINS = ("code", "ttl", "name", "op", "link")
# built-ins that may be empty: {{link}} with numeric codes, {{name}} / {{op}} when not given
OPTIONAL = ("name", "op", "link")
MAX_BODY = 600
MAX_EMAIL_BODY = 20000
MAX_VALUE = 60


class Template(Record, frozen=True):
    name: str
    channel: str
    body: str
    locales: Mapping[str, str] = field(default_factory=dict)
    version: int = 0
    # email only: the subject line and an HTML body (``body`` is then the text part)
    subject: str = ""
    html: str = ""

    @property
    def issues_code(self) -> bool:
        """A template without ``{{code}}`` is a notification: it sends, it issues no code."""
        used = self.variables(self.body) | self.variables(self.html)
        return "code" in used or "link" in used

    @staticmethod
    def variables(body: str) -> set:
        return set(PLACEHOLDER.findall(body))

    def text(self, locale: Optional[str]) -> str:
        if locale and locale in self.locales:
            return self.locales[locale]
        return self.body

    def render(self, values: Mapping[str, object], locale: Optional[str] = None) -> str:
        body = self.text(locale)
        missing = sorted(v for v in self.variables(body) if values.get(v) in (None, "") and v not in OPTIONAL)
        if missing:
            raise InvalidRequest(f"template {self.name} needs variable(s): {', '.join(missing)}")

        def sub(m: re.Match) -> str:
            return clean(str(values.get(m.group(1)) or ""), 2000 if m.group(1) == "link" else MAX_VALUE)

        return PLACEHOLDER.sub(sub, body)

    def render_email(self, values: Mapping[str, object], locale: Optional[str] = None) -> tuple:
        """(subject, text, html): the HTML part gets every value HTML-escaped."""
        import html as _html

        text = self.render(values, locale)
        subject = Template(self.name, self.channel, self.subject).render(values) if self.subject else ""
        page = ""
        if self.html:
            missing = sorted(v for v in self.variables(self.html) if values.get(v) in (None, "") and v not in OPTIONAL)
            if missing:
                raise InvalidRequest(f"template {self.name} needs variable(s): {', '.join(missing)}")
            page = PLACEHOLDER.sub(lambda m: _html.escape(clean(str(values.get(m.group(1)) or ""),
                                                                2000 if m.group(1) == "link" else MAX_VALUE)),
                                   self.html)
        return subject, text, page

    def render_page(self, values: Mapping[str, object]) -> str:
        """An HTML page: every value HTML-escaped, missing ones empty (pages never fail)."""
        import html as _html

        return PLACEHOLDER.sub(lambda m: _html.escape(clean(str(values.get(m.group(1), "")), 200)), self.body)

    def to_dict(self) -> dict:
        out = {"name": self.name, "channel": self.channel, "body": self.body,
               "locales": dict(self.locales), "version": self.version,
               "variables": sorted(self.variables(self.body) | self.variables(self.html) | self.variables(self.subject)),
               "issues_code": self.issues_code}
        if self.channel == "email":
            out.update(subject=self.subject, html=self.html)
        return out


def validate(name: str, data: object, version: int = 0) -> Template:
    """A template from an admin request body, or InvalidRequest saying what is wrong."""
    if not re.match(NAME, name or ""):
        raise InvalidRequest("template name: a letter, then letters, digits, _ or -, at most 64")
    if not isinstance(data, dict):
        raise InvalidRequest("a template is a JSON object with channel and body")
    unknown = sorted(set(data) - {"channel", "body", "locales", "name", "subject", "html"})
    if unknown:
        raise InvalidRequest(f"unknown template field(s): {', '.join(unknown)}")
    channel = data.get("channel", "sms")
    if channel not in CHANNELS:
        raise InvalidRequest(f"template channel must be one of {', '.join(CHANNELS)}")
    body = data.get("body")
    locales = data.get("locales") or {}
    if not isinstance(locales, dict):
        raise InvalidRequest("template locales must be an object of locale -> body")
    limit = MAX_EMAIL_BODY if channel in ("email", "page") else MAX_BODY
    for label, text in [("body", body), *((f"locales.{k}", v) for k, v in locales.items())]:
        if not isinstance(text, str) or not text.strip():
            raise InvalidRequest(f"template {label} must be a non-empty string")
        if len(text) > limit:
            raise InvalidRequest(f"template {label} must be at most {limit} characters")
        if channel in ("sms", "voice") and ("【" in text or "】" in text):
            raise InvalidRequest("the signature 【...】 is added by verikit; leave it out of the body")
    subject, html = data.get("subject", ""), data.get("html", "")
    if channel != "email" and (subject or html):
        raise InvalidRequest("subject and html are for email templates only")
    for label, text, n in (("subject", subject, 200), ("html", html, MAX_EMAIL_BODY)):
        if not isinstance(text, str) or len(text) > n:
            raise InvalidRequest(f"template {label} must be a string of at most {n} characters")
    return Template(name=name, channel=channel, body=body, locales=dict(locales), version=version,
                    subject=subject, html=html)
