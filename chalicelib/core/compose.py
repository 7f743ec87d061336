"""Composing the message of a send (pure): the text or email a person receives."""
from __future__ import annotations

import dataclasses
from typing import Optional

from . import messages, routing
from .ports import OutgoingMessage


def message(req, template, code: str, ttl: int, locale: str, s, target: str, purpose,
            region: Optional[str] = None) -> OutgoingMessage:
    """The message of a send: a template's text or a purpose's built-in one, with the code,
its lifetime, the brand and (purposes that allow it) a verification link."""
    # links carry complex codes only: a 6-digit code in a URL could be guessed by value
    complex_code = bool(code) and not code.isdigit()
    link = f"{req.link_base.rstrip('/')}/{code}" if req.link_base and complex_code and purpose.link_capable else ""
    name = req.name if req.name is not None else (req.sign if req.sign is not None else s.signature)
    values = {**req.variables, "code": code, "ttl": ttl, "name": name or "", "op": req.op or "", "link": link}
    if req.channel == "email":
        if template is not None:
            subject, text, page = template.render_email(values, locale)
            subject = subject or messages.email_message(purpose.message, code, ttl, name=name, locale=locale)[0]
        else:
            subject, text, page = messages.email_message(purpose.message, code, ttl, name=name, op=req.op or "",
                                                         locale=locale, link=link)
        return OutgoingMessage(channel="email", to=target, body=text, purpose=purpose.name,
                               locale=locale, subject=subject, html=page)
    if template is not None:
        text = template.render(values, locale)
        sign = messages.clean(req.sign if req.sign is not None else s.signature, 40)
        body = f"【{sign}】{text}" if sign and req.channel == "sms" else text
    else:
        body = (messages.voice_text(code, name=name, locale=locale) if req.channel == "voice" else
                messages.sms_text(purpose.message, code, ttl, name=name, op=req.op or "", locale=locale))
        if link:
            body = f"{body} {link}"
    out = OutgoingMessage(channel=req.channel, to=target, body=body, purpose=purpose.name,
                          sender_id=s.sender_id, locale=locale)
    if req.channel != "sms" or region is None:  # a preview is not routed
        return out
    # the route, checked before anything is charged: a template provider without an id is refused
    route = routing.plan(s, region, purpose.name, req.template, template.text(locale) if template else "",
                         req.sign if req.sign is not None else req.name)
    return dataclasses.replace(out, route=route.providers, template=route.key, template_ids=route.template_ids,
                               sign=route.sign, code=code, ttl_minutes=ttl, variables=dict(req.variables),
                               variable_order=route.variable_order)
