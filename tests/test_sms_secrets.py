"""`make provision` stores the SMS providers' credentials as Secrets Manager secrets (one per
provider and stage) from the environment, never printing them; the function reads them once."""
import json
import os
import subprocess
import sys

from conftest import MOTO, ROOT

TOKEN = "twilio-token-not-to-be-printed"


def provision(extra_env, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERIKIT_", "AWS_"))}
    env.update({"AWS_ENDPOINT_URL": MOTO.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                **extra_env})
    r = subprocess.run([sys.executable, "-m", "deploy", "provision", "--stage", "dev", "--params-only", *args],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


def test_provision_creates_updates_and_keeps_provider_secrets_without_printing_them():
    from chalicelib import aws
    creds = {"VERIKIT_TWILIO_ACCOUNT_SID": "AC" + "3" * 32, "VERIKIT_TWILIO_AUTH_TOKEN": TOKEN,
             "VERIKIT_TWILIO_FROM": "+15005550006"}
    code, out = provision(creds)
    assert code == 0, out
    assert "created   secret    verikit/dev/sms/twilio" in out and TOKEN not in out
    stored = json.loads(aws.client("secretsmanager").get_secret_value(SecretId="verikit/dev/sms/twilio")["SecretString"])
    assert stored == {"account_sid": "AC" + "3" * 32, "auth_token": TOKEN, "from": "+15005550006"}
    code, out = provision(creds)
    assert "unchanged secret    verikit/dev/sms/twilio" in out
    code, out = provision({**creds, "VERIKIT_TWILIO_AUTH_TOKEN": "rotated-token"})
    assert "updated   secret    verikit/dev/sms/twilio" in out and "rotated-token" not in out
    code, out = provision({})  # nothing given: the secret is kept
    assert "unchanged secret    verikit/dev/sms/twilio  (kept)" in out
    code, out = provision({"VERIKIT_ALIYUN_ACCESS_KEY_ID": "LTAI"}, "--sms-providers", "aliyun")
    assert code != 0 and "VERIKIT_ALIYUN_ACCESS_KEY_SECRET" in out  # no terminal to ask on


def test_the_function_reads_a_provider_secret_once(monkeypatch):
    import pytest

    from chalicelib import aws, provider_secrets
    from chalicelib.core.errors import FeatureDisabled

    aws.client("secretsmanager").create_secret(
        Name="verikit/test/sms/aliyun", SecretString=json.dumps({"access_key_id": "LTAI", "access_key_secret": "s"}))
    for env in provider_secrets.ENV["aliyun"].values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("VERIKIT_SMS_SECRETS_PREFIX", "verikit/test/sms/")
    provider_secrets.reset()
    assert provider_secrets.get("aliyun")["access_key_secret"] == "s"
    aws.client("secretsmanager").delete_secret(SecretId="verikit/test/sms/aliyun", ForceDeleteWithoutRecovery=True)
    assert provider_secrets.get("aliyun")["access_key_id"] == "LTAI"  # read once per instance
    assert "s'" not in repr(provider_secrets.get("aliyun"))
    provider_secrets.reset()  # a new instance: the secret is gone (a name the policy allows)
    with pytest.raises(FeatureDisabled) as e:
        provider_secrets.get("aliyun")
    assert "verikit/test/sms/aliyun" in e.value.message and "ResourceNotFoundException" in e.value.message
    provider_secrets.reset()
