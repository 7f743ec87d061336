"""Voice calls through AWS End User Messaging SMS and voice (``pinpoint-sms-voice-v2``).

The text is read by text-to-speech; ``core.messages.voice_text`` spells the code digit
by digit ("1, 2, 3, ...") so it is never read as a number.
"""
from __future__ import annotations

from ..core.errors import FeatureDisabled
from ..core.service import OutgoingMessage
from .errors import send_failed

VOICES = {"en": "JOANNA", "zh-CN": "ZHIYU"}


class EndUserVoice:
    def __init__(self, client_factory, origination_identity: str, configuration_set: str = ""):
        self._client = client_factory
        self._origin = origination_identity
        self._config_set = configuration_set

    def request(self, message: OutgoingMessage) -> dict:
        params = {
            "DestinationPhoneNumber": message.to,
            "OriginationIdentity": self._origin,
            "MessageBody": message.body,
            "MessageBodyTextType": "TEXT",
            "VoiceId": VOICES.get(message.locale, "JOANNA"),
            "TimeToLive": 300,
            "Context": {"purpose": message.purpose},
        }
        if self._config_set:
            params["ConfigurationSetName"] = self._config_set
        return params

    def send(self, message: OutgoingMessage) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        from ..deadline import DeadlineExceeded

        if not self._origin:
            raise FeatureDisabled("voice codes need VERIKIT_VOICE_ORIGINATION (an origination number)")
        try:
            resp = self._client().send_voice_message(**self.request(message))
        except (ClientError, BotoCoreError, DeadlineExceeded) as e:
            raise send_failed("voice call", e) from None
        return resp["MessageId"]
