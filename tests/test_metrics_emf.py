"""The EMF lines verikit writes by hand (chalicelib/metrics.py) are what CloudWatch reads:
the embedded metric format's JSON, with the dimension sets the alarms and dashboards use."""
import json


def test_a_provider_send_carries_the_provider_dimension_set(capsys):
    from chalicelib import metrics
    metrics.emit("Sent", "sms", "CN", provider="aliyun")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    meta = line["_aws"]["CloudWatchMetrics"][0]
    assert meta["Dimensions"] == [["service"], ["service", "channel", "country"], ["service", "provider"]]
    assert meta["Metrics"] == [{"Name": "Sent", "Unit": "Count"}] and line["Sent"] == [1.0]
    assert (line["service"], line["channel"], line["country"], line["provider"]) == ("verikit", "sms", "CN", "aliyun")
    assert isinstance(line["_aws"]["Timestamp"], int)
    # every dimension named has its value in the line (CloudWatch drops the line otherwise)
    assert all(name in line for dims in meta["Dimensions"] for name in dims)


def test_without_a_provider_no_provider_dimension_and_off_switch(capsys, monkeypatch):
    from chalicelib import metrics
    metrics.emit("Verified", "", "")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ["service", "provider"] not in line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert "provider" not in line and line["channel"] == "none" and line["country"] == "none"
    monkeypatch.setenv("VERIKIT_METRICS", "0")
    metrics.emit("Sent", "sms", "GB")
    assert capsys.readouterr().out == ""
