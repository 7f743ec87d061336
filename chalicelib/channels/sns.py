"""SMS through Amazon SNS ``Publish`` to a phone number, as transactional SMS."""
from __future__ import annotations

from ..core.service import OutgoingMessage
from .errors import send_failed


class SnsSms:
    def __init__(self, client_factory, max_price: str = ""):
        self._client = client_factory
        self._max_price = max_price

    def attributes(self, message: OutgoingMessage) -> dict:
        attrs = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if message.sender_id:
            attrs["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": message.sender_id}
        if self._max_price:
            attrs["AWS.SNS.SMS.MaxPrice"] = {"DataType": "Number", "StringValue": self._max_price}
        return attrs

    def send(self, message: OutgoingMessage) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        from ..deadline import DeadlineExceeded

        try:
            resp = self._client().publish(PhoneNumber=message.to, Message=message.body,
                                          MessageAttributes=self.attributes(message))
        except (ClientError, BotoCoreError, DeadlineExceeded) as e:
            raise send_failed("SMS", e) from None
        return resp["MessageId"]
