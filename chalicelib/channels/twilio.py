"""SMS through Twilio Programmable Messaging, with the official ``twilio`` package
(imported on the first send through it). Free text, like SNS: ``To``, ``Body`` and either a
``From`` number or a Messaging Service SID (``MG...``) from ``VERIKIT_TWILIO_FROM``.
Endpoint: ``VERIKIT_TWILIO_ENDPOINT`` (host[:port] or URL) replaces https://api.twilio.com.
"""
from __future__ import annotations

from ..core.errors import SendFailed

TIMEOUT = 4  # seconds
DEFAULT_BASE = "https://api.twilio.com"
# Twilio error codes that say the number is wrong or refuses SMS: no failover
NUMBER_ERRORS = {21211, 21614, 21610, 21612, 21217, 21421}


class TwilioSms:
    name = "twilio"

    def __init__(self, credentials, endpoint: str = ""):
        self._credentials = credentials
        self._endpoint = endpoint
        self._client = None
        self._from = ""

    def client(self):
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            from ..provider_secrets import split_endpoint

            base = ""
            if self._endpoint:
                scheme, host, path = split_endpoint(self._endpoint)
                base = f"{scheme}://{host}{path}"

            class Http(TwilioHttpClient):
                def request(self, method, url, *args, **kwargs):
                    if base and url.startswith(DEFAULT_BASE):
                        url = base + url[len(DEFAULT_BASE):]
                    return super().request(method, url, *args, **kwargs)

            creds = self._credentials()
            self._from = creds["from"]
            self._client = Client(creds["account_sid"], creds["auth_token"], http_client=Http(timeout=TIMEOUT))
        return self._client

    def send(self, message) -> str:
        from ..deadline import bounded

        client = self.client()
        client.http_client.timeout = bounded(TIMEOUT)  # within the request's budget
        sender = {"messaging_service_sid": self._from} if self._from.startswith("MG") else {"from_": self._from}
        try:
            msg = client.messages.create(to=message.to, body=message.body, **sender)
        except Exception as e:  # noqa: BLE001 - TwilioRestException, transport errors
            code, status = getattr(e, "code", None), getattr(e, "status", None)
            if code in NUMBER_ERRORS:
                raise SendFailed(f"SMS not sent: Twilio refused the phone number ({code})",
                                 provider_error=str(code), number_error=True) from None
            what = str(code or status or type(e).__name__)
            raise SendFailed(f"SMS not sent: Twilio failed ({what}{f', HTTP {status}' if status else ''})",
                             provider_error=what, retry_after=5) from None
        return msg.sid or ""
