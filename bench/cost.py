"""What a verification, a sign-up and a login cost on AWS, from the measured flows
(bench/flows.py): API Gateway requests, Lambda (512 MB, duration = the measured CPU time of
verikit's own code, scaled to the 0.29 vCPU a 512 MB function gets, + an assumed in-region
latency per AWS call), DynamoDB on demand
(the measured write and read units), CloudWatch Logs (the measured log lines), beside
Twilio Verify's list price and the SMS price that dominates both.

Prices: list prices, us-east-1, USD, as listed in December 2025 (DynamoDB on demand after
the 2024-11-01 cut). SMS prices per country are Twilio Programmable Messaging's outbound
list prices per segment, rounded (carrier fees extra); AWS End User Messaging's are of the
same order; for CN, Alibaba Cloud / Tencent Cloud SMS (README "Cost per SMS"). Check the
providers' pages for yours: this table only has to show where the money goes.
"""
from __future__ import annotations

import math

PRICES_DATE = "2025-12"
PRICES = {
    "api_gateway_rest_per_million": 3.50,  # REST API (what chalice deploys), first 333 M/month
    "lambda_per_million_requests": 0.20,
    "lambda_gb_second": 0.0000166667,  # x86
    "lambda_memory_gb": 0.5,  # .chalice/config.json lambda_memory_size: 512
    "dynamodb_wru_per_million": 0.625,  # on demand
    "dynamodb_rru_per_million": 0.125,
    "logs_ingest_per_gb": 0.50,  # CloudWatch Logs: the request line, EMF metrics, Lambda's START/END/REPORT
    "sqs_per_million": 0.40,  # not used by verikit
    # the app's keys come from SSM standard parameters (free); an SMS provider other than SNS
    # reads its credentials from Secrets Manager once per instance: per cold start, not per send
    "secrets_manager_per_10k_calls": 0.05,
    "secrets_manager_per_secret_month": 0.40,
    "ssm_standard_get": 0.0,  # standard throughput: free; read once per cold instance
    "twilio_verify_per_success": 0.05,  # per successful verification, plus the channel's message price
}
# Twilio's list prices, except CN: Alibaba Cloud / Tencent Cloud SMS, ¥0.045 (README "Cost per SMS";
# Twilio's own to CN is about $0.045)
SMS_PER_COUNTRY = {"US": 0.0083, "GB": 0.0400, "DE": 0.0800, "BR": 0.0500, "IN": 0.0800, "CN": 0.0060}
# in-region latency assumed per AWS call when estimating Lambda's billed duration
LATENCY_MS = {("dynamodb", "TransactWriteItems"): 10, ("dynamodb", "BatchGetItem"): 6, "dynamodb": 5,
              "sns": 60, "sesv2": 60, "pinpoint-sms-voice-v2": 60, "ssm": 10}
LAMBDA_LOG_BYTES = 330  # START, END and REPORT lines per invocation
LAMBDA_CPU_SHARE = 512 / 1769  # Lambda gives 1 vCPU at 1769 MB, proportionally less below

# what each operation is made of: the measured flows (bench/flows.py keys), one request each
# (every spent code is also counted by the stream consumer, count_verified: a Lambda
# invocation of its own per code, counted here without the batching that lowers it, and
# no API Gateway request)
OPERATIONS = {
    "verification (send + check)": ["send", "verify_ok", "count_verified"],
    "sign-up by SMS code (send + usersByMobilePhone)": ["send", "signup_by_phone", "count_verified"],
    "sign-up with a password": ["signup"],
    "login with a password": ["login_password"],
    "login by SMS code (requestLoginSmsCode + login)": ["request_login_code", "login_sms", "count_verified"],
}
NOT_REQUESTS = {"count_verified"}  # invoked by the codes table's stream, not through API Gateway


def lambda_ms(flow: dict) -> float:
    """Billed duration of one invocation: verikit's own CPU time on a 512 MB function plus
    the AWS calls' latency."""
    aws = 0.0
    for op in flow["ops"]:
        aws += LATENCY_MS.get(("dynamodb", op), LATENCY_MS["dynamodb"])
    for service, n in flow["calls"].items():
        if service != "dynamodb":
            aws += n * LATENCY_MS.get(service, 20)
    return math.ceil(flow["cpu_ms"] / LAMBDA_CPU_SHARE + aws)


def per_request(flow: dict, request: bool = True) -> dict:
    p = PRICES
    ms = lambda_ms(flow)
    out = {
        "api_gateway": p["api_gateway_rest_per_million"] / 1e6 if request else 0.0,
        "lambda": p["lambda_per_million_requests"] / 1e6 + ms / 1000 * p["lambda_memory_gb"] * p["lambda_gb_second"],
        "dynamodb": flow["wru"] * p["dynamodb_wru_per_million"] / 1e6 + flow["rru"] * p["dynamodb_rru_per_million"] / 1e6,
        "logs": (flow.get("log_bytes", 0) + LAMBDA_LOG_BYTES) / 2**30 * p["logs_ingest_per_gb"],
    }
    out["lambda_ms"] = ms
    return out


def model(flows: dict, per: int = 10_000) -> dict:
    """{operation: {component: USD per ``per`` operations}} from the measured flows."""
    out = {}
    for name, keys in OPERATIONS.items():
        if not all(k in flows for k in keys):
            continue
        parts = [per_request(flows[k], k not in NOT_REQUESTS) for k in keys]
        row = {c: round(sum(x[c] for x in parts) * per, 4) for c in ("api_gateway", "lambda", "dynamodb", "logs")}
        row["aws_total"] = round(sum(row.values()), 4)
        row["lambda_ms"] = [x["lambda_ms"] for x in parts]
        row["wru"] = sum(flows[k]["wru"] for k in keys)
        row["rru"] = sum(flows[k]["rru"] for k in keys)
        row["round_trips"] = sum(flows[k]["round_trips"] for k in keys)
        sms = sum(flows[k]["calls"].get("sns", 0) for k in keys)
        row["sms_messages"] = sms
        row["sms_by_country"] = {c: round(price * sms * per, 2) for c, price in SMS_PER_COUNTRY.items()}
        if name.startswith("verification"):
            row["twilio_verify_fee"] = round(PRICES["twilio_verify_per_success"] * per, 2)
        out[name] = row
    return out


def report(flows: dict, per: int = 10_000) -> str:
    rows = model(flows, per)
    lines = [f"AWS cost per {per:,} operations, USD (list prices of {PRICES_DATE}, us-east-1; SMS excluded; "
             f"warm instances: a cold start adds an SSM read (free) and, with a non-SNS SMS provider, a Secrets "
             f"Manager read: ${PRICES['secrets_manager_per_10k_calls']} per 10,000 cold starts, "
             f"${PRICES['secrets_manager_per_secret_month']} per secret a month):"]
    for name, r in rows.items():
        lines.append(f"  {name:48s} total ${r['aws_total']:.4f} = API Gateway {r['api_gateway']:.4f} + Lambda "
                     f"{r['lambda']:.4f} ({'+'.join(map(str, r['lambda_ms']))} ms) + DynamoDB {r['dynamodb']:.4f} "
                     f"({r['wru']:g} WRU, {r['rru']:g} RRU) + logs {r['logs']:.4f}")
        if r["sms_messages"]:
            sms = ", ".join(f"{c} ${v:,.0f}" for c, v in r["sms_by_country"].items())
            lines.append(f"  {'':48s} SMS itself ({r['sms_messages']} per operation): {sms}")
        if "twilio_verify_fee" in r:
            lines.append(f"  {'':48s} Twilio Verify: ${r['twilio_verify_fee']:,.0f} "
                         f"(${PRICES['twilio_verify_per_success']}/success) + the same SMS price")
    return "\n".join(lines)
