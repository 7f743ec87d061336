"""Email through Amazon SES v2 ``SendEmail``, from a verified identity."""
from __future__ import annotations

from ..core.service import OutgoingMessage
from .errors import send_failed


class SesEmail:
    def __init__(self, client_factory, from_address: str, configuration_set: str = ""):
        self._client = client_factory
        self._from = from_address
        self._configuration_set = configuration_set

    def request(self, message: OutgoingMessage) -> dict:
        body = {"Text": {"Data": message.body, "Charset": "UTF-8"}}
        if message.html:
            body["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        kwargs = {"FromEmailAddress": self._from, "Destination": {"ToAddresses": [message.to]},
                  "Content": {"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"}, "Body": body}}}
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        return kwargs

    def send(self, message: OutgoingMessage) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        from ..deadline import DeadlineExceeded

        if not self._from:
            from ..core.errors import FeatureDisabled
            raise FeatureDisabled("email is not configured (VERIKIT_EMAIL_FROM)")
        try:
            resp = self._client().send_email(**self.request(message))
        except (ClientError, BotoCoreError, DeadlineExceeded) as e:
            raise send_failed("Email", e) from None
        return resp["MessageId"]
