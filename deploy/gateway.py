"""API Gateway's own error responses, as JSON both dialects read.

An unknown path or method never reaches the Lambda: API Gateway answers it itself, by default
``403 {"message": "Missing Authentication Token"}``, which the LeanCloud Python SDK takes for
a success (it only looks for an ``error`` key). These gateway responses make such answers
``404`` with a body that is an error to LeanCloud clients (``code``, ``error``) and to CloudBase
clients (``error``, ``error_code``, ``error_description``) alike.
"""
from __future__ import annotations

import json

JSON = "application/json"
# response type -> (status, error, LeanCloud/CloudBase-ish code, description)
RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", 404, "Route not found."),
    "DEFAULT_4XX": (None, "bad_request", 400, "The request was refused by the API gateway."),
    "DEFAULT_5XX": (None, "unavailable", 500, "The service is unavailable; try again."),
    "THROTTLED": ("429", "rate_limit_exceeded", 429, "Too many requests; try again shortly."),
}


def body(error: str, code: int, description: str) -> str:
    return json.dumps({"code": code, "error": error, "error_code": code, "error_description": description})


def cloudformation_resources() -> dict:
    """``AWS::ApiGateway::GatewayResponse`` resources on chalice's ``RestAPI``."""
    out = {}
    for kind, (status, error, code, description) in RESPONSES.items():
        props = {"RestApiId": {"Ref": "RestAPI"}, "ResponseType": kind,
                 "ResponseTemplates": {JSON: body(error, code, description)},
                 "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}
        if status:
            props["StatusCode"] = status
        name = "".join(p.capitalize() for p in kind.split("_")) + "Response"
        out[name] = {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": props}
    return out


def apply(client, rest_api_id: str, stage: str) -> list:
    """Put the responses on a deployed REST API and redeploy its stage (``chalice deploy``
    has no setting for them). Returns the response types set."""
    for kind, (status, error, code, description) in RESPONSES.items():
        kwargs = {"restApiId": rest_api_id, "responseType": kind,
                  "responseTemplates": {JSON: body(error, code, description)},
                  "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}
        if status:
            kwargs["statusCode"] = status
        client.put_gateway_response(**kwargs)
    client.create_deployment(restApiId=rest_api_id, stageName=stage,
                             description="verikit: JSON gateway responses")
    return list(RESPONSES)
