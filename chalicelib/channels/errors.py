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
    "BadRequestException": "SES refused the message (an invalid address or parameter)",
}


# the provider is busy or slow: the same message may go through if sent again shortly
_TRY_AGAIN = {"KMSThrottling", "Throttling", "ThrottlingException", "TooManyRequestsException",
              "ConnectTimeoutError", "ReadTimeoutError", "EndpointConnectionError", "ConnectionClosedError",
              "DeadlineExceeded", "InternalError", "InternalFailure", "ServiceUnavailable"}
_HINTS.update({"ConnectTimeoutError": "the provider did not answer in time; try again shortly",
               "ReadTimeoutError": "the provider did not answer in time; try again shortly",
               "EndpointConnectionError": "the provider could not be reached; try again shortly",
               "ConnectionClosedError": "the provider could not be reached; try again shortly",
               "DeadlineExceeded": "no time was left to call the provider; try again shortly",
               "InternalError": "the provider failed; try again shortly",
               "InternalFailure": "the provider failed; try again shortly"})


def send_failed(channel: str, error) -> SendFailed:
    code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code", type(error).__name__)
    hint = _HINTS.get(code, "the provider did not accept the message")
    message = str((getattr(error, "response", None) or {}).get("Error", {}).get("Message", ""))
    if code in ("InvalidParameter", "InvalidParameterException", "ValidationException") and (
            "PhoneNumber" in message or "phone number" in message.lower()):
        hint = "the provider refused the phone number as invalid"
    extra = {"retry_after": 5} if code in _TRY_AGAIN else {}
    return SendFailed(f"{channel} not sent: {hint} ({code})", provider_error=code, **extra)
