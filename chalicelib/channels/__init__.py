"""Channels: how a message leaves verikit. Each implements ``core.service.Channel``:

    send(OutgoingMessage) -> provider message id   (raises core.errors.SendFailed)

- ``router.RoutedChannel``  the SMS channel: the providers of the number's country in order,
                            failing over (``core/routing.py`` plans the route); returns a
                            ``core.delivery.Delivery`` with every attempt
- ``providers``             builds the providers below on first use (SDKs imported lazily)
- ``sns.SnsSms``            SMS through Amazon SNS ``Publish`` (transactional)
- ``aliyun``, ``tencent``   SMS templates through Alibaba Cloud / Tencent Cloud SMS
- ``twilio``, ``vonage``    SMS through Twilio / Vonage
- ``sendhook``              a signed POST to the operator's URL (any other provider)
- ``voice.EndUserVoice``    voice calls through AWS End User Messaging (pinpoint-sms-voice-v2)
- ``ses.SesEmail``          email through Amazon SES
- ``outbox``                the local dev outbox, which records what the others sent
"""
