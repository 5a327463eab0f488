"""A model's ``metadata.json``, typed: the one reader and writer of that file.

``ModelMetadata.load`` reads and checks it, ``ModelMetadata.save`` writes it (sorted keys,
two-space indent, as every model so far was written); everything else edits the typed
object in between (``record_calibration``, ``record_heldout``). Keys this module does not
know are kept as they are, so a model written by a newer version loads and saves unchanged.
Only keys present in the file (or set since) are written back: loading and saving a model
gives back its file byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

FORMAT = "drillwatch-model/1"
META_FILE = "metadata.json"
MODEL_FILE = "model.ubj"
NORMAL = "normal"
DETECTORS = ("classifier", "analogue")
Detector = Literal["classifier", "analogue"]


class ModelError(RuntimeError):
    """A model that cannot be loaded: its metadata or files are missing, unreadable, of
    another format or do not match their sha256."""


class _Open(BaseModel):
    """Typed where the code reads it; other keys are carried along unchanged."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)


class FileDigest(_Open):
    """A model file beside metadata.json and its sha256 (checked on every load)."""

    file: str
    sha256: str


class AnalogueFiles(_Open):
    """The analogue database's files (``models.analogues``) and their sha256 by file name."""

    windows: int
    sha256: dict[str, str]


class PairwiseMeta(_Open):
    """The paper's pairwise similarity detector (``models.pairwise``) and its alerting."""

    columns: list[str]
    top: int
    per_type: int
    lead_s: float
    thresholds: dict[str, float]
    hold_s: dict[str, float] | None = None
    file: str | None = None
    sha256: str | None = None


class TrainingSummary(_Open):
    """What the model was trained on (``pipelines.training.train``)."""

    wells: list[str] = []
    train_wells: list[str] = []
    validation_wells: list[str] = []


class PreviousCalibration(_Open):
    """The detector's thresholds (and their validation figures) before a calibration."""

    version: str
    thresholds: dict[str, float]
    validation: dict[str, Any] | None = None


class Calibration(_Open):
    """How ``drillwatch calibrate`` set a detector's thresholds, and what they replaced."""

    detector: Detector
    seeds: list[int]
    wells: list[str]
    budget_per_day: float
    mistype_share: float
    days_outside_windows: float
    false_alarms: int
    previous: PreviousCalibration
    command: str


def _suffix(detector: str) -> str:
    """Records of the analogue detector carry its name (``validation_analogue``)."""
    return "" if detector == "classifier" else f"_{detector}"


class FieldType(_Open):
    """One accident type of the field detector (``models.field``): its booster and threshold."""

    file: str
    sha256: str
    threshold: float


class FieldMeta(_Open):
    """The field detector: per-type boosters over the signs of ``models.signs``."""

    signs: list[str]
    types: dict[str, FieldType]
    training: dict[str, Any] = {}


class ModelMetadata(_Open):
    """The contents of a model's ``metadata.json`` (see ``models.artifact``)."""

    format: str | None = None
    version: str
    detector: Detector = "classifier"
    features: list[str]
    channels: list[str] = []
    windows_s: list[int] = []
    classes: list[str]
    thresholds: dict[str, float]
    hold_s: dict[str, float] | None = None
    pairwise: PairwiseMeta | None = None
    stride_seconds: float = 10.0
    training: TrainingSummary | None = None
    metrics: dict[str, Any] = {}
    calibration: Calibration | None = None
    calibration_analogue: Calibration | None = None
    analogues: AnalogueFiles | None = None
    heads: dict[str, FileDigest] | None = None
    field: FieldMeta | None = None
    created_at: str | None = None
    model_file: str = MODEL_FILE
    sha256: str | None = None

    def _check_classes(self, source: object) -> None:
        if NORMAL not in self.classes:
            raise ModelError(f"{source}: classes must include {NORMAL!r}")
        for accident_type in self.heads or {}:
            if accident_type not in self.classes or accident_type == NORMAL:
                raise ModelError(f"{source}: precursor head {accident_type!r} is not a class")
        for accident_type in self.field.types if self.field else {}:
            if accident_type not in self.classes or accident_type == NORMAL:
                raise ModelError(f"{source}: field detector type {accident_type!r} is not a class")

    def unset(self, *names: str) -> None:
        """Leave these keys out of the written file, as if it never had them."""
        for name in names:
            setattr(self, name, None)
            self.__pydantic_fields_set__.discard(name)

    # -- reading and writing ----------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, *, source: object = "metadata") -> ModelMetadata:
        """Checked metadata from its JSON document; ``ModelError`` naming ``source``."""
        if not isinstance(data, dict):
            raise ModelError(f"{source}: metadata is not a JSON object")
        try:
            metadata = cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ModelError(f"{source}: {problems}") from None
        metadata._check_classes(source)
        return metadata

    @classmethod
    def load(cls, model_dir: Path) -> ModelMetadata:
        """The metadata of the model in ``model_dir``, checked (format, fields, classes)."""
        path = model_dir / META_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelError(f"{path}: no model metadata here") from None
        except json.JSONDecodeError as exc:
            raise ModelError(f"{path}: metadata is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise ModelError(f"{path}: format {found!r} is not {FORMAT!r}")
        return cls.from_dict(data, source=path)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: the keys read or set, unknown ones included."""
        return self.model_dump(mode="json", exclude_unset=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save(self, model_dir: Path) -> Path:
        """Write ``metadata.json`` into ``model_dir``; returns its path."""
        path = model_dir / META_FILE
        path.write_text(self.to_json())
        return path

    # -- what the detectors decide with -----------------------------------------------------

    def thresholds_of(self, detector: str) -> dict[str, float]:
        """The alert thresholds of ``detector``."""
        if detector == "analogue":
            if self.pairwise is None:
                raise ModelError(f"model {self.version} has no pairwise (analogue) detector")
            return dict(self.pairwise.thresholds)
        return dict(self.thresholds)

    def _set_thresholds(self, detector: str, table: dict[str, float]) -> None:
        if detector == "analogue":
            if self.pairwise is None:
                raise ModelError(f"model {self.version} has no pairwise (analogue) detector")
            self.pairwise.thresholds = table
        else:
            self.thresholds = table

    # -- records of calibrations and held-out evaluations ----------------------------------

    def record_calibration(
        self,
        *,
        version: str,
        detector: Detector,
        thresholds: dict[str, float],
        validation: dict[str, Any],
        **record: Any,
    ) -> Calibration:
        """A re-calibration of ``detector``'s thresholds as the new model ``version``.

        The thresholds are stored rounded to 4 places and the calibration record (``record``:
        seeds, wells, budget_per_day, ... command) keeps the version, thresholds and
        validation figures they replace. ``validation`` becomes the detector's validation
        metrics (what the models page shows); its held-out metrics, measured with the old
        thresholds, no longer describe the model and are dropped."""
        suffix = _suffix(detector)
        previous = PreviousCalibration(
            version=self.version,
            thresholds=self.thresholds_of(detector),
            validation=self.metrics.get(f"validation{suffix}"),
        )
        self._set_thresholds(detector, {t: round(v, 4) for t, v in thresholds.items()})
        self.version = version
        calibration = Calibration(detector=detector, previous=previous, **record)
        if detector == "classifier":
            self.calibration = calibration
        else:
            self.calibration_analogue = calibration
        metrics = dict(self.metrics)
        metrics.pop(f"heldout{suffix}", None)
        metrics[f"validation{suffix}"] = validation
        self.metrics = metrics
        return calibration

    def record_heldout(self, detector: str, metrics: dict[str, Any]) -> None:
        """Store ``detector``'s metrics on the held-out seeds (``drillwatch evaluate``)."""
        self.metrics = {**self.metrics, f"heldout{_suffix(detector)}": metrics}
