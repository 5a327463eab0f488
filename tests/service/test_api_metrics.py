"""``/metrics`` in the Prometheus text format, and the OpenAPI document of the whole API."""

from __future__ import annotations

import re

import orjson
from factories import T0, make_batch
from fastapi.testclient import TestClient

SAMPLE_RE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$')


def test_metrics_count_ingest_and_expose_lag_model_and_subscribers(client: TestClient) -> None:
    body = orjson.dumps(make_batch(T0, n=30).to_json_dict())
    assert client.post("/api/v1/wells/W-1/telemetry", content=body).status_code == 200
    client.post("/api/v1/wells/W-1/telemetry", content=body)  # duplicates: received, not stored
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = r.text.splitlines()
    for line in lines:
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or SAMPLE_RE.match(line), (
            line
        )
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if line[0] != "#"
    }
    assert values["drillwatch_ingest_samples_total"] == 60
    assert values["drillwatch_ingest_samples_stored_total"] == 30
    assert values["drillwatch_ingest_batches_total"] == 2
    assert values["drillwatch_ingest_samples_per_second"] > 0
    assert values['drillwatch_well_lag_seconds{well="W-1"}'] > 3600  # T0 is in the past
    version = client.app.state.stream.model.version
    assert values[f'drillwatch_model_info{{version="{version}"}}'] == 1
    assert values["drillwatch_sse_subscribers"] == 0
    assert "# TYPE drillwatch_alerts_raised_total counter" in lines


def test_alerts_raised_are_counted_by_type(client: TestClient) -> None:
    client.app.state.metrics.count_ingest(received=1, stored=1, alert_types=["kick", "kick"])
    assert 'drillwatch_alerts_raised_total{type="kick"} 2' in client.get("/metrics").text


def test_openapi_loads_and_every_operation_has_a_summary(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 25
    for path, method, op in operations:
        assert op.get("summary"), f"{method.upper()} {path} has no summary"
    paths = spec["paths"]
    for path in (
        "/api/v1/wells/{well_id}",
        "/api/v1/accidents/import",
        "/api/v1/alerts/{alert_id}/confirm",
        "/api/v1/alerts/{alert_id}/analogues",
        "/api/v1/models/{model_id}/activate",
        "/api/v1/models/retrain",
        "/api/v1/jobs/{job_id}",
        "/metrics",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    for name in ("WellCreate", "AccidentCreate", "ConfirmBody", "DismissBody", "AlertOut"):
        assert schemas[name].get("examples"), name
    assert client.get("/docs").status_code == 200
