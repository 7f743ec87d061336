"""SMS through Vonage (formerly Nexmo) SMS API, with the official ``vonage`` package
(imported on the first send through it). Free text, like SNS: ``to``, ``from`` (a sender id
or number, ``VERIKIT_VONAGE_FROM``) and ``text``. Endpoint: ``VERIKIT_VONAGE_ENDPOINT``
(host[:port]; the SDK speaks HTTPS only) replaces rest.nexmo.com.
"""
from __future__ import annotations

import re

from ..core.errors import SendFailed

TIMEOUT = 4  # seconds
# SMS API statuses that say the number is wrong or barred: no failover
NUMBER_ERRORS = {"6", "7"}
_STATUS = re.compile(r"error code (\d+)")


class VonageSms:
    name = "vonage"

    def __init__(self, credentials, endpoint: str = ""):
        self._credentials = credentials
        self._endpoint = endpoint
        self._client = None
        self._from = ""

    def client(self):
        if self._client is None:
            from vonage import Auth, HttpClientOptions, Vonage

            from ..provider_secrets import split_endpoint

            creds = self._credentials()
            self._from = creds["from"]
            options = {"timeout": TIMEOUT}
            if self._endpoint:
                options["rest_host"] = split_endpoint(self._endpoint)[1]
            self._client = Vonage(Auth(api_key=creds["api_key"], api_secret=creds["api_secret"]),
                                  HttpClientOptions(**options))
        return self._client

    def send(self, message) -> str:
        from vonage_sms import SmsMessage

        from ..deadline import bounded

        client = self.client()
        client.http_client._timeout = bounded(TIMEOUT)  # the SDK's requests timeout, within the request's budget

        try:
            resp = client.sms.send(SmsMessage(to=message.to.lstrip("+"), from_=self._from, text=message.body))
        except Exception as e:  # noqa: BLE001 - SmsError, HTTP and transport errors
            m = _STATUS.search(str(e))
            status = m.group(1) if m else str(getattr(e, "response", None) and e.response.status_code or
                                                 type(e).__name__)
            if status in NUMBER_ERRORS:
                raise SendFailed(f"SMS not sent: Vonage refused the phone number (status {status})",
                                 provider_error=f"vonage-{status}", number_error=True) from None
            raise SendFailed(f"SMS not sent: Vonage failed ({status})", provider_error=f"vonage-{status}",
                             retry_after=5) from None
        return resp.messages[0].message_id if resp.messages else ""
