"""Prometheus ``/metrics`` in the text exposition format (0.0.4), written by hand.

:class:`service.events.Metrics` lives on ``app.state.metrics``; the ingest handler counts
into it. Per-well lag and the active model are read when scraped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from service.db import repo
from service.deps import BroadcasterDep, DbDep, MetricsDep, StreamDep

router = APIRouter(tags=["health"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help: str, samples: list[tuple[dict[str, str], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            self.lines.append(
                f"{name}{{{text}}} {_number(value)}" if text else f"{name} {_number(value)}"
            )

    def render(self) -> str:
        return "\n".join(self.lines) + "\n"


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE: {"example": "drillwatch_sse_subscribers 2\n"}}}},
)
def metrics(
    db: DbDep, metrics: MetricsDep, stream: StreamDep, broadcaster: BroadcasterDep
) -> PlainTextResponse:
    with db.connect() as conn:
        wells = repo.list_wells(conn)
    now = datetime.now(UTC)
    out = _Exposition()
    out.metric(
        "drillwatch_ingest_samples_total",
        "counter",
        "Telemetry samples received by the ingest endpoint.",
        [({}, metrics.samples_received)],
    )
    out.metric(
        "drillwatch_ingest_samples_stored_total",
        "counter",
        "Telemetry samples stored (new, not duplicates).",
        [({}, metrics.samples_stored)],
    )
    out.metric(
        "drillwatch_ingest_batches_total",
        "counter",
        "Telemetry batches accepted.",
        [({}, metrics.batches)],
    )
    out.metric(
        "drillwatch_ingest_samples_per_second",
        "gauge",
        f"Samples received per second over the last {metrics.rate_window_s:g} s.",
        [({}, metrics.ingest_rate())],
    )
    out.metric(
        "drillwatch_well_lag_seconds",
        "gauge",
        "Now minus the well's last sample time.",
        [
            ({"well": w["id"]}, (now - w["last_sample_at"]).total_seconds())
            for w in wells
            if w["last_sample_at"] is not None
        ],
    )
    out.metric(
        "drillwatch_alerts_raised_total",
        "counter",
        "Alerts raised since the process started, by type.",
        [({"type": kind}, n) for kind, n in sorted(metrics.alerts_raised.items())],
    )
    out.metric(
        "drillwatch_model_info",
        "gauge",
        "The model version serving detection (always 1).",
        [({"version": stream.model.version}, 1)],
    )
    out.metric(
        "drillwatch_sse_subscribers",
        "gauge",
        "Connected Server-Sent Events subscribers.",
        [({}, broadcaster.subscribers)],
    )
    return PlainTextResponse(out.render(), media_type=CONTENT_TYPE)
