"""Channels: SNS through moto, voice requests validated by botocore's Stubber."""
import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.channels.sns import SnsSms
from chalicelib.channels.voice import EndUserVoice
from chalicelib.core.errors import FeatureDisabled, SendFailed
from chalicelib.core.service import OutgoingMessage

MSG = OutgoingMessage(channel="sms", to="+8613800138000", body="【App】code 123456", purpose="sms",
                      sender_id="VERIKIT")


def test_sms_goes_through_sns_publish_as_transactional_sms():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    message_id = SnsSms(lambda: aws.client("sns")).send(MSG)
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    assert sent[message_id] == ("+8613800138000", "【App】code 123456")
    attrs = SnsSms(lambda: None, max_price="0.50").attributes(MSG)
    assert attrs["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
    assert attrs["AWS.SNS.SMS.SenderID"]["StringValue"] == "VERIKIT"
    assert attrs["AWS.SNS.SMS.MaxPrice"]["StringValue"] == "0.50"


@pytest.mark.parametrize("code,hint", [("OptedOut", "opted out"), ("AuthorizationError", "sandbox"),
                                       ("Throttling", "throttling")])
def test_sns_errors_become_clear_send_failures(code, hint):
    client = aws.session().create_client("sns", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("publish", service_error_code=code, http_status_code=400)
        with pytest.raises(SendFailed, match=hint) as e:
            SnsSms(lambda: client).send(MSG)
    assert e.value.details["provider_error"] == code


def voice_client():
    return aws.session().create_client("pinpoint-sms-voice-v2", region_name="us-east-1")


def test_voice_request_is_valid_for_the_real_service_model():
    client = voice_client()
    msg = OutgoingMessage(channel="voice", to="+12015550123", body="Your verification code is 1, 2, 3.",
                          purpose="sms", locale="en")
    with Stubber(client) as stub:
        stub.add_response("send_voice_message", {"MessageId": "m-1"}, {
            "DestinationPhoneNumber": "+12015550123", "OriginationIdentity": "+12065550100",
            "MessageBody": "Your verification code is 1, 2, 3.", "MessageBodyTextType": "TEXT",
            "VoiceId": "JOANNA", "TimeToLive": 300, "Context": {"purpose": "sms"},
            "ConfigurationSetName": "verikit"})
        assert EndUserVoice(lambda: client, "+12065550100", "verikit").send(msg) == "m-1"
        stub.assert_no_pending_responses()


def test_voice_errors_and_missing_origination():
    client = voice_client()
    msg = OutgoingMessage(channel="voice", to="+12015550123", body="x", purpose="sms")
    with Stubber(client) as stub:
        stub.add_client_error("send_voice_message", service_error_code="ServiceQuotaExceededException",
                              http_status_code=402, expected_params=None)
        with pytest.raises(SendFailed, match="spend limit"):
            EndUserVoice(lambda: client, "+12065550100").send(msg)
    with pytest.raises(FeatureDisabled):
        EndUserVoice(lambda: client, "").send(msg)


EMAIL = OutgoingMessage(channel="email", to="Bob@example.com", body="code 123456", purpose="verify_email",
                        subject="Verify", html="<p>code 123456</p>")


def test_email_goes_through_sesv2_send_email_from_the_identity():
    from chalicelib.channels.ses import SesEmail
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    client = aws.client("sesv2")
    client.create_email_identity(EmailIdentity="sender@example.com")
    message_id = SesEmail(lambda: client, "sender@example.com").send(EMAIL)
    sent = [m for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages if m.id == message_id]
    assert len(sent) == 1 and sent[0].destinations["ToAddresses"] == ["Bob@example.com"]
    assert sent[0].subject == "Verify"


def test_email_request_is_valid_for_the_real_service_model_and_errors_are_clear():
    from chalicelib.channels.ses import SesEmail

    client = aws.session().create_client("sesv2", region_name="us-east-1")
    channel = SesEmail(lambda: client, "sender@example.com", "verikit")
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "e-1"}, channel.request(EMAIL))
        assert channel.send(EMAIL) == "e-1"
        stub.add_client_error("send_email", service_error_code="MessageRejected", http_status_code=400)
        with pytest.raises(SendFailed, match="sandbox"):
            channel.send(EMAIL)
    with pytest.raises(FeatureDisabled):
        SesEmail(lambda: client, "").send(EMAIL)
