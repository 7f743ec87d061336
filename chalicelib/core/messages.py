"""Message text, i18n-ready: one catalogue per locale, the same variables in each.

The SMS reads ``【signature】`` + the text. Voice reads the code digit by digit, twice.
Variables are sanitised here so that no caller can smuggle line breaks, the signature
brackets or unbounded text into a message.
"""
from __future__ import annotations

from typing import Optional

CATALOG = {
    "en": {
        "generic": "Your verification code{op} is {code}. It expires in {ttl} minutes.",
        "login": "Your login code is {code}. It expires in {ttl} minutes.",
        "signup": "Your sign-up code is {code}. It expires in {ttl} minutes.",
        "verify_phone": "Your code to verify this phone number is {code}. It expires in {ttl} minutes.",
        "change_phone": "Your code to link this phone number to your account is {code}. It expires in {ttl} minutes.",
        "reset_password": "Your password reset code is {code}. It expires in {ttl} minutes. If you did not ask for it, ignore this message.",
        "verify_email": "Your code to verify this email address is {code}. It expires in {ttl} minutes.",
        "reset_email": "Someone asked to reset the password of your account. To choose a new one, open the link below within {ttl} minutes. If it was not you, ignore this email.",
        "link": "Or open this link: {link}",
        "subject": "Your verification code",
        "subject_reset_email": "Reset your password",
        "subject_verify_email": "Verify your email address",
        "subject_reset_password": "Reset your password",
        "op": " for {op}",
        "voice": "This is {name}. Your verification code is {digits}. Again, your code is {digits}.",
        "voice_anonymous": "Your verification code is {digits}. Again, your code is {digits}.",
    },
    "zh-CN": {
        "generic": "您的验证码{op}是{code}，{ttl}分钟内有效。",
        "login": "您的登录验证码是{code}，{ttl}分钟内有效。",
        "signup": "您的注册验证码是{code}，{ttl}分钟内有效。",
        "verify_phone": "您正在验证手机号，验证码是{code}，{ttl}分钟内有效。",
        "change_phone": "您正在绑定手机号，验证码是{code}，{ttl}分钟内有效。",
        "reset_password": "您正在重置密码，验证码是{code}，{ttl}分钟内有效。如非本人操作，请忽略本短信。",
        "verify_email": "您正在验证邮箱，验证码是{code}，{ttl}分钟内有效。",
        "reset_email": "有人申请重置您账户的密码。如需设置新密码，请在{ttl}分钟内打开下面的链接。如非本人操作，请忽略本邮件。",
        "link": "或打开此链接：{link}",
        "subject": "您的验证码",
        "subject_reset_email": "重置密码",
        "subject_verify_email": "验证您的邮箱",
        "subject_reset_password": "重置密码",
        "op": "（{op}）",
        "voice": "这里是{name}。您的验证码是{digits}。再说一遍，您的验证码是{digits}。",
        "voice_anonymous": "您的验证码是{digits}。再说一遍，您的验证码是{digits}。",
    },
}

MAX_VAR = 60


def clean(value: Optional[str], limit: int = MAX_VAR) -> str:
    """Strip control characters and signature brackets; bound the length."""
    if not value:
        return ""
    out = "".join(ch for ch in str(value) if ch.isprintable() and ch not in "【】")
    return out.strip()[:limit]


def _catalog(locale: str) -> dict:
    if locale in CATALOG:
        return CATALOG[locale]
    if locale.lower().startswith("zh"):
        return CATALOG["zh-CN"]
    return CATALOG["en"]


def sms_text(message: str, code: str, ttl_minutes: int, *, name: str = "", op: str = "",
             locale: str = "en") -> str:
    cat = _catalog(locale)
    name, op = clean(name, 40), clean(op)
    body = cat[message].format(code=code, ttl=ttl_minutes, op=cat["op"].format(op=op) if op else "")
    return f"【{name}】{body}" if name else body


def voice_text(code: str, *, name: str = "", locale: str = "en") -> str:
    """What the caller hears: the digits one by one, so TTS never reads 'one hundred...'."""
    cat = _catalog(locale)
    digits = ", ".join(code)
    name = clean(name, 40)
    key = "voice" if name else "voice_anonymous"
    return cat[key].format(name=name, digits=digits)


def email_message(message: str, code: str, ttl_minutes: int, *, name: str = "", op: str = "",
                  locale: str = "en", link: str = "") -> tuple:
    """(subject, text, html) of a code email. Every variable is escaped in the HTML."""
    import html as _html

    cat = _catalog(locale)
    name, op = clean(name, 40), clean(op)
    text = cat.get(message, cat["generic"]).format(code=code, ttl=ttl_minutes,
                                                   op=cat["op"].format(op=op) if op else "")
    subject = cat.get(f"subject_{message}", cat["subject"])
    if name:
        subject = f"[{name}] {subject}"
    lines = [text] + ([cat["link"].format(link=link)] if link else [])
    body_html = "".join(f"<p>{_html.escape(line)}</p>" for line in lines[:1])
    if link:
        body_html += f'<p><a href="{_html.escape(link, quote=True)}">{_html.escape(link)}</a></p>'
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{_html.escape(subject)}</title></head>"
            f"<body>{body_html}</body></html>")
    return subject, "\n\n".join(lines), page
