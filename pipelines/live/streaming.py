"""The live detection path: per-well rolling windows → features → model → alert logic.

``StreamEngine.feed(well_id, batch)`` is called with every stored batch (and by backtests
with replayed telemetry). Samples older than the well's newest processed sample are late:
they are stored by ingest but not fed to the live windows. Decisions happen at the first
sample of every stride on an absolute UTC grid, and all decisions of one batch are predicted
together.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from models.artifact import ModelArtifact
from models.features import (
    Baseline,
    FeatureSpec,
    Prepared,
    ReturnsTrust,
    RowBuffer,
    decision_ends,
    features_at,
    prepare,
)
from models.rigstate import RigState
from models.signs import SPAN_S, describe, sign_rows
from pipelines.live.alerting import AlertState, gated_out, model_policy, step
from pipelines.telemetry import TelemetryBatch, chunks, ns_to_datetime

log = logging.getLogger(__name__)
NS = 1_000_000_000
PIECE_S = 60.0  # longest piece of data fed at once; the buffer keeps this beyond the window


@dataclass
class AlertEvent:
    well_id: str
    time_ns: int
    type: str
    probability: float
    probabilities: dict[str, float]
    rig_state: str
    model_version: str
    contributions: list[dict]
    analogues: list[dict] = field(default_factory=list)  # nearest past windows, nearest first
    evidence: list[str] = field(default_factory=list)  # the physical signs present, in words

    @property
    def time(self) -> datetime:
        return ns_to_datetime(self.time_ns)


@dataclass
class Decision:
    time_ns: int
    probabilities: dict[str, float]
    rig_state: str
    blocked: frozenset[str] = frozenset()  # gated-out accident types (alerting.gated_out)


@dataclass
class FeedResult:
    accepted: int
    late: int
    decisions: list[Decision]
    alerts: list[AlertEvent]
    rig_state: str | None
    last_time_ns: int | None


@dataclass
class WellState:
    """Rolling buffer of one well's most recent samples plus its alert state."""

    last_decided_ns: int | None = None
    rig_state: str | None = None
    alert_state: AlertState = field(default_factory=AlertState)
    trust: ReturnsTrust = field(default_factory=ReturnsTrust)  # flow-out sensor trust
    baseline: Baseline = field(default_factory=Baseline)  # slow channel baselines (basedev)
    prepared: Prepared | None = None  # the buffer's samples ready for windowing
    prepared_spec: FeatureSpec | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _times: RowBuffer = field(default_factory=lambda: RowBuffer(np.empty(0, dtype=np.int64)))
    _channels: dict[str, RowBuffer] = field(default_factory=dict)

    @property
    def times_ns(self) -> np.ndarray:
        """The buffer's sample times (a view, valid until the next append)."""
        return self._times.values

    @property
    def channels(self) -> dict[str, np.ndarray]:
        """The buffer's channels as sent (views, valid until the next append)."""
        return {name: buffer.values for name, buffer in self._channels.items()}

    @property
    def last_time_ns(self) -> int | None:
        return int(self.times_ns[-1]) if len(self._times) else None

    def append(self, batch: TelemetryBatch, keep_ns: int) -> None:
        """New samples at the end of the buffer; those older than ``keep_ns`` before the
        newest are dropped. A channel not sent before is missing in the older samples, one
        not sent now is missing in the new ones."""
        n_old, n_new = len(self._times), len(batch)
        for name, values in batch.channels.items():
            if name not in self._channels:
                self._channels[name] = RowBuffer(np.full(n_old, np.nan))
            self._channels[name].extend(values)
        for name, buffer in self._channels.items():
            if name not in batch.channels:
                buffer.extend(np.full(n_new, np.nan))
        self._times.extend(batch.times_ns)
        times = self._times.values
        cut = int(np.searchsorted(times, times[-1] - keep_ns, side="left"))
        for buffer in (self._times, *self._channels.values()):
            buffer.drop(cut)

    def add(self, batch: TelemetryBatch, spec: FeatureSpec, keep_ns: int) -> Prepared:
        """Take a batch of new samples: into the rolling buffer, the flow-out trust and the
        prepared buffer (only the new samples are prepared; a model with another feature
        spec prepares the whole buffer afresh, its baselines starting from there)."""
        self.append(batch, keep_ns)
        self.trust.update(batch.times_ns, batch.channels)
        new = slice(self.times_ns.shape[0] - len(batch), None)
        times, channels = self.times_ns[new], {k: v[new] for k, v in self.channels.items()}
        if self.prepared is None or self.prepared_spec != spec:
            self.baseline = Baseline(spec.channels)
            self.prepared, self.prepared_spec = None, spec
            times, channels = self.times_ns, self.channels
        self.prepared = prepare(
            times, channels, spec, self.trust, self.baseline, after=self.prepared, keep_ns=keep_ns
        )
        return self.prepared


class StreamEngine:
    def __init__(
        self,
        model: ModelArtifact,
        *,
        k: int = 3,
        n: int = 5,
        cooldown_s: float = 1800.0,
        stride_s: float | None = None,
    ) -> None:
        self._wells: dict[str, WellState] = {}
        self._wells_lock = threading.Lock()
        self._k, self._n, self._cooldown_s = k, n, cooldown_s
        self._stride_override = stride_s
        self.set_model(model)

    @property
    def model(self) -> ModelArtifact:
        return self._model

    def set_model(self, model: ModelArtifact) -> None:
        """Swap the model; wells keep their buffers, so detection continues at once."""
        self._model = model
        self._policy = model_policy(model, k=self._k, n=self._n, cooldown_s=self._cooldown_s)
        log.info("stream engine now uses model %s", model.version)

    @property
    def stride_s(self) -> float:
        return self._stride_override or self._model.stride_seconds

    def well(self, well_id: str) -> WellState:
        with self._wells_lock:
            state = self._wells.get(well_id)
            if state is None:
                state = self._wells[well_id] = WellState()
            return state

    def wells(self) -> dict[str, WellState]:
        with self._wells_lock:
            return dict(self._wells)

    def feed(self, well_id: str, batch: TelemetryBatch) -> FeedResult:
        """Feed any amount of data: a long batch is fed in pieces of at most ``PIECE_S``
        seconds, so the rolling buffer always covers the windows of every decision in it."""
        if len(batch) == 0 or batch.times_ns[-1] - batch.times_ns[0] <= PIECE_S * NS:
            return self._feed(well_id, batch)
        parts = [self._feed(well_id, piece) for piece in chunks(batch, PIECE_S)]
        return FeedResult(
            accepted=sum(p.accepted for p in parts),
            late=sum(p.late for p in parts),
            decisions=[d for p in parts for d in p.decisions],
            alerts=[a for p in parts for a in p.alerts],
            rig_state=parts[-1].rig_state,
            last_time_ns=parts[-1].last_time_ns,
        )

    def _feed(self, well_id: str, batch: TelemetryBatch) -> FeedResult:
        state = self.well(well_id)
        with state.lock:
            model, policy = self._model, self._policy
            last = state.last_time_ns
            if last is not None:
                fresh = batch.times_ns > last
                late = int((~fresh).sum())
                if late:
                    batch = batch.select(fresh)
            else:
                late = 0
            if len(batch) == 0:
                return FeedResult(0, late, [], [], state.rig_state, last)
            spec = model.spec
            # the buffer covers the longest window and the signs' span before every decision
            keep_s = max(spec.max_window, SPAN_S if model.field_detector is not None else 0.0)
            prepared = state.add(batch, spec, int((keep_s + PIECE_S) * NS))
            ends = decision_ends(state.times_ns, self.stride_s, after_ns=state.last_decided_ns)
            if ends.size == 0:
                return FeedResult(len(batch), late, [], [], state.rig_state, state.last_time_ns)
            rows = features_at(prepared, ends, spec)
            signs = (
                sign_rows(state.times_ns, state.channels, ends)
                if model.field_detector is not None
                else None
            )
            probs = model.scores(rows, signs)
            blocked = gated_out(
                state.times_ns, prepared.states, ends, policy.gating, policy.steady_s
            )
            classes = model.classes
            decisions: list[Decision] = []
            alerts: list[AlertEvent] = []
            for i, end in enumerate(ends):
                t = int(state.times_ns[end])
                rig = RigState(int(prepared.states[end])).label
                p = {c: float(probs[i, j]) for j, c in enumerate(classes)}
                decisions.append(Decision(t, p, rig, blocked[i]))
                fired = step(
                    state.alert_state,
                    policy,
                    time_ns=t,
                    probabilities=p,
                    rig_state=rig,
                    blocked=blocked[i],
                )
                if fired is not None:
                    found = model.search(rows[i], top=5)
                    alerts.append(
                        AlertEvent(
                            well_id=well_id,
                            time_ns=t,
                            type=fired,
                            probability=p[fired],
                            probabilities=p,
                            rig_state=rig,
                            model_version=model.version,
                            contributions=model.contributions(rows[i], classes.index(fired)),
                            analogues=found,
                            evidence=describe(signs[i]) if signs is not None else [],
                        )
                    )
            state.last_decided_ns = int(state.times_ns[ends[-1]])
            state.rig_state = RigState(int(prepared.states[-1])).label
            return FeedResult(
                len(batch), late, decisions, alerts, state.rig_state, state.last_time_ns
            )
