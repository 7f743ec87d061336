"""verikit: a self-hosted verification-code service.

Layout (read top to bottom):

- ``core/``      pure domain: codes, purposes and their policies, rate-limit plans,
                 phone numbers, settings, messages, the OTP service. No boto3 here.
- ``store/``     DynamoDB persistence, one module per table (pynamodb models).
- ``channels/``  how a message leaves: SMS (SNS, Alibaba Cloud, Tencent Cloud, Twilio, Vonage, a
                 send hook; routed per country), voice, email, and the local dev outbox.
- ``dialects/``  one module per API dialect (LeanCloud, dev); they translate requests
                 and errors and call the core.
- ``runtime.py`` environment (stage, table names, local mode) and secrets.
- ``wiring.py``  builds the service from the pieces above, once per process.
- ``local/``     the embedded moto server used by ``make run`` and the tests.
"""
