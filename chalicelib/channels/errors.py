"""Provider errors turned into clear ``SendFailed`` messages (never a 500)."""
from __future__ import annotations

from ..core.errors import SendFailed

_HINTS = {
    "OptedOut": "the recipient has opted out of SMS from this account",
    "OptedOutException": "the recipient has opted out of SMS from this account",
    "KMSThrottling": "the provider is throttling; try again shortly",
    "Throttling": "the provider is throttling; try again shortly",
    "ThrottlingException": "the provider is throttling; try again shortly",
    "InvalidParameter": "the provider refused the message parameters",
    "InvalidParameterException": "the provider refused the message parameters",
    "AuthorizationError": "this AWS account may not send to this destination (SMS sandbox?)",
    "AccessDeniedException": "this AWS account may not send to this destination (sandbox or IAM policy)",
    "ServiceQuotaExceededException": "the monthly spend limit or a send quota is reached",
    "ValidationException": "the provider refused the message parameters",
    "ResourceNotFoundException": "the origination identity is not configured in this account",
    "MessageRejected": "SES refused the message (unverified sender, or the SES sandbox)",
    "MailFromDomainNotVerifiedException": "the sender's domain is not verified in SES",
    "AccountSuspendedException": "sending from this SES account is suspended",
    "SendingPausedException": "sending is paused for this SES account or configuration set",
    "NotFoundException": "the SES configuration set or identity does not exist",
    "TooManyRequestsException": "the provider is throttling; try again shortly",
    "LimitExceededException": "an SES sending quota is reached",
}


def send_failed(channel: str, error) -> SendFailed:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
    hint = _HINTS.get(code, "the provider did not accept the message")
    return SendFailed(f"{channel} not sent: {hint} ({code})", provider_error=code)
