"""Verifiers of third-party login credentials (``core.authdata.Verifier``), one module per
platform that must be asked: WeChat (``weixin``) and Sign in with Apple (``apple``). Their
endpoints come from the environment so that tests run against local fakes."""
