"""Model artifacts: XGBoost's own JSON format plus a JSON metadata file. Never pickled.

A model directory holds ``model.ubj`` (``Booster.save_model`` in XGBoost's UBJSON, the binary
form of its JSON model format: half the size, no pickle) and ``metadata.json``:
format, version, detector, feature names (which are the feature specification), channels,
classes, per-class alert thresholds, decision stride, training data summary, metrics and
the sha256 of ``model.ubj``, checked on every load. Older models with ``model.json`` load too
(``metadata.json`` names the file). ``metadata.json`` is read and written only through
``models.metadata.ModelMetadata``.

A model may also carry precursor heads: per accident type, a binary booster of that type's
precursor (rows well before its start) against normal drilling, ``head_<type>.ubj`` with
its sha256 under ``heads`` in the metadata. The classifier's score of such a type is the
higher of its class probability and its head's score (``combine_heads``).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from models.analogues import JSON_FILE, NPZ_FILE, SNIPPETS_FILE, AnalogueDB, gain_weights
from models.features import FeatureSpec
from models.field import FIELD_FILE, FieldDetector
from models.metadata import (
    FORMAT,
    META_FILE,
    MODEL_FILE,
    NORMAL,
    AnalogueFiles,
    FieldMeta,
    FieldType,
    FileDigest,
    ModelError,
    ModelMetadata,
)
from models.pairwise import PAIR_FILE, PairwiseDetector
from models.signs import NAMES as SIGN_NAMES
from models.trees import TreeEnsemble, predict_rows

__all__ = [
    "BUNDLED_DIR",
    "FORMAT",
    "META_FILE",
    "MODEL_FILE",
    "NORMAL",
    "ModelArtifact",
    "ModelError",
    "ModelMetadata",
    "load_model",
    "save_model",
]

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


def head_file(accident_type: str) -> str:
    return f"head_{accident_type}.ubj"


def combine_heads(
    probs: np.ndarray, classes: list[str], heads: dict[str, np.ndarray]
) -> np.ndarray:
    """Class probabilities (rows x classes) with each column of a type that has a precursor
    head raised to the head's score where that is higher: the type alerts when either its
    onset (the classifier) or its early precursor (the head) is likely. Rows then no longer
    sum to 1; alerting judges each type against its own threshold."""
    out = np.array(probs, dtype=np.float64, copy=True)
    for accident_type, score in heads.items():
        j = classes.index(accident_type)
        out[:, j] = np.maximum(out[:, j], score)
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ModelArtifact:
    booster: xgb.Booster
    # the metadata document as loaded (``ModelMetadata.to_dict``); typed: ``metadata``
    meta: dict[str, Any]
    spec: FeatureSpec
    path: Path
    analogues: AnalogueDB | None = None
    pairwise: PairwiseDetector | None = None
    # the classifier's analogue search weighs each standardised feature by its gain
    # (models.analogues.gain_weights); derived from the booster at load, None = unweighted
    analogue_weights: np.ndarray | None = None
    # precursor heads by accident type (see the module docstring), used by the classifier
    heads: dict[str, xgb.Booster] = field(default_factory=dict)
    # the field detector over transferable signs (models.field), if the model carries one
    field_detector: FieldDetector | None = None
    _trees: dict[str, TreeEnsemble] = field(default_factory=dict, repr=False, compare=False)

    @property
    def metadata(self) -> ModelMetadata:
        """The metadata, typed (read from ``meta``, which ``replace(meta=...)`` may change)."""
        return ModelMetadata.from_dict(self.meta, source=f"model {self.meta.get('version')}")

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def detector(self) -> str:
        """``classifier`` (multiclass XGBoost) or ``analogue`` (pairwise similarity)."""
        return str(self.meta.get("detector", "classifier"))

    @property
    def thresholds(self) -> dict[str, float]:
        """The alert thresholds of the selected detector."""
        table = self.meta["thresholds"]
        if self.detector == "analogue":
            table = self.meta["pairwise"]["thresholds"]
        return {k: float(v) for k, v in table.items()}

    @property
    def hold_s(self) -> dict[str, float] | None:
        """Per-type hold times of the selected detector's alerts (``pipelines.live.alerting``:
        how long a type's vote must hold before it alerts), chosen with its thresholds;
        None if the model does not set them (the alert policy's default applies)."""
        table = self.meta.get("hold_s")
        if self.detector == "analogue":
            table = self.meta["pairwise"].get("hold_s")
        return None if table is None else {k: float(v) for k, v in table.items()}

    def with_detector(self, detector: str) -> ModelArtifact:
        """The same model deciding with the other detector (both are trained together)."""
        if detector not in ("classifier", "analogue"):
            raise ModelError(f"detector {detector!r} is not 'classifier' or 'analogue'")
        if detector == "analogue" and self.pairwise is None:
            raise ModelError(f"model {self.version} has no pairwise (analogue) detector")
        return replace(self, meta={**self.meta, "detector": detector})

    def scores(self, rows: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
        """Per-class scores (rows x classes) of the selected detector: the classifier's
        probabilities, or the pairwise detector's analogue similarity per type; with the
        decisions' ``signs`` (``models.signs.sign_rows``), the field detector decides the
        types it knows (``models.field``)."""
        if self.detector == "analogue" and self.pairwise is not None and self.analogues is not None:
            out = self.pairwise.scores(rows, self.analogues)
        else:
            out = combine_heads(self.predict_proba(rows), self.classes, self.head_scores(rows))
        if self.field_detector is not None and signs is not None:
            out = self.field_detector.combine(out, self.classes, self.thresholds, signs)
        return out

    def search(self, row: np.ndarray, top: int = 5) -> list[dict[str, Any]]:
        """The alert's evidence: the ``top`` most similar stored windows, by the pairwise
        similarity model (analogue detector) or by standardised distance (classifier)."""
        if self.analogues is None:
            return []
        if self.detector == "analogue" and self.pairwise is not None:
            return self.pairwise.search(row, self.analogues, top)
        return self.analogues.search(row, top=top)

    @property
    def stride_seconds(self) -> float:
        return float(self.meta.get("stride_seconds", 10.0))

    def _run(self, key: str, booster: xgb.Booster, rows: np.ndarray) -> np.ndarray:
        return predict_rows(booster, rows, self._trees, key)

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        """Class probabilities (rows x classes); NaN features are treated as missing."""
        if rows.shape[0] == 0:
            return np.empty((0, len(self.classes)))
        out = self._run("", self.booster, rows)
        return out.reshape(rows.shape[0], len(self.classes))

    def head_scores(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Each precursor head's score per row (0-1): how much the row looks like the early
        precursor of its type rather than normal drilling."""
        if rows.shape[0] == 0:
            return {t: np.empty(0) for t in self.heads}
        return {t: self._run(t, b, rows).reshape(-1) for t, b in self.heads.items()}

    def contributions(self, row: np.ndarray, class_index: int, top: int = 5) -> list[dict]:
        """The features that pushed this row towards ``class_index`` most (SHAP values): of
        the type's precursor head when that scored the row higher than the classifier."""
        booster = self.booster
        head = self.heads.get(self.classes[class_index])
        if head is not None:
            one = row.reshape(1, -1)
            if (
                self.head_scores(one)[self.classes[class_index]][0]
                > (self.predict_proba(one)[0, class_index])
            ):
                booster = head
        dm = xgb.DMatrix(row.reshape(1, -1), missing=np.nan, feature_names=self.spec.names())
        contribs = np.asarray(booster.predict(dm, pred_contribs=True))
        values = contribs[0, class_index, :-1] if contribs.ndim == 3 else contribs[0, :-1]
        names = self.spec.names()
        order = np.argsort(-values)[:top]
        return [
            {
                "feature": names[i],
                "contribution": float(values[i]),
                "value": None if not np.isfinite(row[i]) else float(row[i]),
            }
            for i in order
            if values[i] > 0
        ]


def save_model(
    booster: xgb.Booster,
    meta: ModelMetadata | Mapping[str, Any],
    out_dir: Path,
    *,
    analogues: AnalogueDB | None = None,
    pairwise: xgb.Booster | None = None,
    heads: dict[str, xgb.Booster] | None = None,
    field_detector: FieldDetector | None = None,
) -> Path:
    """Write model.ubj + metadata.json (with sha256) into out_dir; returns out_dir.

    ``heads``: precursor heads by accident type, written as ``head_<type>.ubj``.

    With ``analogues``, the analogue database is written beside them (analogues.npz +
    analogues.json, + analogues_snippets.npz when it carries channel snippets) and their
    sha256 go into the metadata too."""
    metadata = (
        meta.model_copy(deep=True)
        if isinstance(meta, ModelMetadata)
        else ModelMetadata.from_dict(dict(meta), source=out_dir / META_FILE)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    booster.save_model(str(model_path))
    if analogues is not None:
        files = analogues.save(out_dir)
        metadata.analogues = AnalogueFiles(
            windows=len(analogues), sha256={path.name: sha256_of(path) for path in files}
        )
    else:
        metadata.unset("analogues")
        for name in (NPZ_FILE, JSON_FILE, SNIPPETS_FILE):
            (out_dir / name).unlink(missing_ok=True)
    pair_path = out_dir / PAIR_FILE
    if pairwise is not None and metadata.pairwise is not None:
        pairwise.save_model(str(pair_path))
        metadata.pairwise.file = PAIR_FILE
        metadata.pairwise.sha256 = sha256_of(pair_path)
    else:
        metadata.unset("pairwise")
        pair_path.unlink(missing_ok=True)
    for stale in out_dir.glob(head_file("*")):
        stale.unlink()
    metadata.unset("heads")
    if heads:
        digests = {}
        for accident_type, head in sorted(heads.items()):
            head_path = out_dir / head_file(accident_type)
            head.save_model(str(head_path))
            digests[accident_type] = FileDigest(file=head_path.name, sha256=sha256_of(head_path))
        metadata.heads = digests
    _save_field(out_dir, metadata, field_detector)
    if metadata.format is None:
        metadata.format = FORMAT
    if metadata.created_at is None:
        metadata.created_at = datetime.now(UTC).isoformat()
    metadata.model_file = MODEL_FILE
    metadata.sha256 = sha256_of(model_path)
    metadata.save(out_dir)
    log.info("saved model %s to %s", metadata.version, out_dir)
    return out_dir


def _save_field(out_dir: Path, metadata: ModelMetadata, detector: FieldDetector | None) -> None:
    """The field detector's boosters beside the model, their digests and thresholds in the
    metadata (a model without one loses any stale files and key)."""
    for stale in out_dir.glob(FIELD_FILE.format(type="*")):
        stale.unlink()
    if detector is None:
        metadata.unset("field")
        return
    training = metadata.field.training if metadata.field is not None else {}
    types = {}
    for accident_type, booster in sorted(detector.boosters.items()):
        path = out_dir / FIELD_FILE.format(type=accident_type)
        booster.save_model(str(path))
        types[accident_type] = FieldType(
            file=path.name,
            sha256=sha256_of(path),
            threshold=float(detector.thresholds.get(accident_type, 1.0)),
        )
    metadata.field = FieldMeta(signs=list(SIGN_NAMES), types=types, training=training)


def attach_field(
    model: ModelArtifact,
    detector: FieldDetector,
    out_dir: Path,
    *,
    version: str,
    training: dict[str, Any],
) -> Path:
    """A copy of ``model`` carrying ``detector``: the same trees and analogues (files copied
    as they are), a new version; returns out_dir."""
    metadata = model.metadata.model_copy(deep=True)
    metadata.version = version
    metadata.created_at = datetime.now(UTC).isoformat()
    metadata.field = FieldMeta(signs=list(SIGN_NAMES), types={}, training=training)
    if model.path.resolve() != out_dir.resolve():
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in model.path.iterdir():
            if path.is_file() and path.name != META_FILE:
                shutil.copy2(path, out_dir / path.name)
    _save_field(out_dir, metadata, detector)
    metadata.save(out_dir)
    log.info("model %s: field detector for %s", version, ", ".join(detector.types))
    return out_dir


def _check_sha256(path: Path, expected: object) -> None:
    digest = sha256_of(path)
    if digest != expected:
        raise ModelError(f"{path}: sha256 {digest} does not match metadata {expected}")


def _load_booster(path: Path, expected_sha256: object) -> xgb.Booster:
    """An XGBoost model file, after checking its sha256; predicts on one thread."""
    _check_sha256(path, expected_sha256)
    booster = xgb.Booster()
    booster.load_model(str(path))
    booster.set_param({"nthread": 1})
    return booster


def load_model(model_dir: Path) -> ModelArtifact:
    metadata = ModelMetadata.load(model_dir)
    meta_path = model_dir / META_FILE
    booster = _load_booster(model_dir / metadata.model_file, metadata.sha256)
    spec = FeatureSpec.from_names(metadata.features)
    analogues = None
    files = metadata.analogues.sha256 if metadata.analogues is not None else {}
    missing = [name for name in files if not (model_dir / name).exists()]
    if missing:
        log.warning("%s: analogue files %s missing; serving without analogues", model_dir, missing)
    elif files:
        for name, expected in files.items():
            _check_sha256(model_dir / name, expected)
        try:
            analogues = AnalogueDB.load(model_dir)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{model_dir}: analogue database unreadable ({exc})") from None
    weights = _analogue_weights(booster, spec)
    if analogues is not None and weights is not None:
        try:
            analogues.set_weights(weights)
        except ValueError as exc:
            raise ModelError(f"{model_dir}: analogues do not fit the model ({exc})") from None
    pairwise = _load_pairwise(model_dir, metadata, spec) if analogues is not None else None
    heads: dict[str, xgb.Booster] = {}
    for accident_type, info in (metadata.heads or {}).items():
        if not (model_dir / info.file).exists():
            raise ModelError(f"{model_dir / info.file}: precursor head file missing")
        heads[accident_type] = _load_booster(model_dir / info.file, info.sha256)
    field_detector = None
    if metadata.field is not None:
        if list(metadata.field.signs) != list(SIGN_NAMES):
            raise ModelError(f"{meta_path}: the field detector's signs are not this version's")
        boosters, thresholds = {}, {}
        for accident_type, kind in metadata.field.types.items():
            if not (model_dir / kind.file).exists():
                raise ModelError(f"{model_dir / kind.file}: field detector file missing")
            boosters[accident_type] = _load_booster(model_dir / kind.file, kind.sha256)
            thresholds[accident_type] = kind.threshold
        field_detector = FieldDetector(boosters, thresholds)
    if metadata.detector == "analogue" and pairwise is None:
        raise ModelError(f"{meta_path}: detector 'analogue' needs its pairwise model and analogues")
    return ModelArtifact(
        booster=booster,
        meta=metadata.to_dict(),
        spec=spec,
        path=model_dir,
        analogues=analogues,
        pairwise=pairwise,
        analogue_weights=weights,
        heads=heads,
        field_detector=field_detector,
    )


def _analogue_weights(booster: xgb.Booster, spec: FeatureSpec) -> np.ndarray | None:
    """The classifier's distance weights for its analogue search (None: unweighted, when
    the trees split on nothing)."""
    try:
        return gain_weights(booster, spec.names())
    except ValueError as exc:
        log.warning("analogue search unweighted: %s", exc)
        return None


def _load_pairwise(
    model_dir: Path, metadata: ModelMetadata, spec: FeatureSpec
) -> PairwiseDetector | None:
    info = metadata.pairwise
    if info is None:
        return None
    path = model_dir / (info.file or PAIR_FILE)
    if not path.exists():
        log.warning("%s missing; the analogue (pairwise) detector is not available", path)
        return None
    booster = _load_booster(path, info.sha256)
    names = spec.names()
    unknown = [c for c in info.columns if c not in names]
    if unknown:
        raise ModelError(f"{path}: pairwise columns {unknown[:3]} are not model features")
    return PairwiseDetector(
        booster=booster,
        columns=list(info.columns),
        column_index=np.array([names.index(c) for c in info.columns], dtype=np.int64),
        classes=list(metadata.classes),
        top=info.top,
        per_type=info.per_type,
        lead_s=info.lead_s,
    )
