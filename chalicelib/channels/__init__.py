"""Channels: how a message leaves verikit. Each implements ``core.service.Channel``:

    send(OutgoingMessage) -> provider message id   (raises core.errors.SendFailed)

- ``sns.SnsSms``            SMS through Amazon SNS ``Publish`` (transactional)
- ``voice.EndUserVoice``    voice calls through AWS End User Messaging (pinpoint-sms-voice-v2)
- ``outbox``                the local dev outbox, which records what the others sent
"""
