"""A compiled evaluator of an XGBoost tree ensemble, for fast one-row live prediction.

Why it exists: live detection predicts one feature row at a time. Through XGBoost a single
row pays per-tree call overhead (0.3-0.7 µs a tree), which for the classifier (8 classes x
300 rounds = 2,400 trees) is 0.7-1.8 ms per row. :class:`TreeEnsemble` packs every tree of
the booster into flat numpy arrays once (``from_booster``); a small numba kernel (``_walk``)
then walks every tree from its root to its leaf, with no call per tree (~0.07 ms a row for
the bundled model on one core, against ~2 ms for ``inplace_predict`` on the same machine).

It reads the booster through XGBoost's JSON model format (``save_raw("json")``, never
pickle), reproduces XGBoost's semantics exactly (features cast to float32; go left iff
``x < split_condition``, a strict float32 comparison; NaN takes the node's default
branch) and is tested equal to XGBoost's own ``inplace_predict`` in
``tests/models/test_trees.py``. Anything it cannot reproduce is refused with ``ValueError``:
objectives other than ``multi:softprob`` and ``binary:logistic``, boosters other than plain
``gbtree`` (e.g. dart, gblinear), categorical splits and vector-leaf (multi-output) trees.

Layout. Nodes of all trees are renumbered into one global array so that the two children of
every split are adjacent: ``next = first_child[node] + went_second``. Leaves point to
themselves (``first_child[leaf] == leaf``) with an ``+inf`` threshold, which is where a walk
stops. Each step is::

    went_second = xs[feature[node]] > threshold[node]
    node = first_child[node] + went_second

where ``xs`` is the row followed by its negation. The single ``>`` covers both missing-value
directions because a comparison with NaN is false, i.e. NaN always takes the *first* child:

* default-left split ``x < t``: first child = left, ``xs`` index = ``f``, threshold =
  ``nextafter(t, -inf)`` in float32 (for float32 ``x``, ``x > nextafter(t, -inf)`` iff
  ``x >= t``, i.e. "goes right").
* default-right split: first child = right, ``xs`` index = ``f + num_features`` (``-x``),
  threshold = ``-t`` (``-x > -t`` iff ``x < t``, i.e. "goes left").

This needs finite split conditions (XGBoost's always are; a model with others is refused).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import xgboost as xgb

log = logging.getLogger(__name__)

SUPPORTED_OBJECTIVES = ("multi:softprob", "binary:logistic")

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """All trees of a booster packed into flat arrays; see the module docstring.

    Node arrays (length = total nodes over all trees, in the renumbered layout):
    ``feature`` index into ``xs`` (the row then its negation), ``threshold`` (float32,
    ``+inf`` for leaves), ``first_child`` (global index; a leaf's own index), ``leaf_value``
    (float32, 0 for splits). Tree arrays: ``roots`` (global index of each tree's root) and
    ``tree_group`` (output group, i.e. class, of each tree, from ``tree_info``).
    """

    objective: str
    num_features: int
    num_groups: int
    depth: int
    feature: IntArray
    threshold: FloatArray
    first_child: IntArray
    leaf_value: FloatArray
    roots: IntArray
    tree_group: IntArray
    group_matrix: npt.NDArray[np.float64]
    base_margin: npt.NDArray[np.float64]

    @property
    def num_trees(self) -> int:
        return int(self.roots.shape[0])

    @classmethod
    def from_booster(
        cls, booster: xgb.Booster, iteration_range: tuple[int, int] = (0, 0)
    ) -> TreeEnsemble:
        """Pack ``booster``'s trees. ``iteration_range`` is XGBoost's: ``(begin, end)``
        boosting rounds, ``(0, 0)`` = all trees (what ``inplace_predict`` uses by default;
        like XGBoost, ``best_iteration`` is not applied implicitly)."""
        model = json.loads(booster.save_raw("json"))
        return cls.from_json(model, iteration_range)

    @classmethod
    def from_json(
        cls, model: dict[str, Any], iteration_range: tuple[int, int] = (0, 0)
    ) -> TreeEnsemble:
        """Pack a model already parsed from XGBoost's JSON model format."""
        learner = model["learner"]
        objective = learner["objective"]["name"]
        if objective not in SUPPORTED_OBJECTIVES:
            raise ValueError(
                f"TreeEnsemble supports objectives {SUPPORTED_OBJECTIVES}, not {objective!r}"
            )
        booster_name = learner["gradient_booster"]["name"]
        if booster_name != "gbtree":
            raise ValueError(
                f"TreeEnsemble supports the plain 'gbtree' booster, not {booster_name!r}"
            )
        params = learner["learner_model_param"]
        num_features = int(params["num_feature"])
        num_target = int(params.get("num_target", "1"))
        if num_target != 1:
            raise ValueError(f"TreeEnsemble does not support multi-target models ({num_target})")
        num_class = int(params.get("num_class", "0"))
        num_groups = max(num_class, 1)
        if objective == "binary:logistic" and num_groups != 1:
            raise ValueError(f"binary:logistic model with {num_groups} output groups")
        categorical = [
            i for i, kind in enumerate(learner.get("feature_types") or []) if kind == "c"
        ]
        if categorical:
            raise ValueError(
                f"TreeEnsemble does not support categorical features (feature indices "
                f"{categorical[:10]})"
            )
        base_margin = _base_margin(objective, params["base_score"], num_groups)

        gbtree = learner["gradient_booster"]["model"]
        trees: list[dict[str, Any]] = gbtree["trees"]
        tree_info: list[int] = gbtree["tree_info"]
        begin, end = _tree_slice(gbtree, iteration_range, num_groups)
        trees, tree_info = trees[begin:end], tree_info[begin:end]

        feature: list[int] = []
        threshold: list[float] = []
        first_child: list[int] = []
        leaf_value: list[float] = []
        roots: list[int] = []
        depth = 0
        for tree in trees:
            roots.append(len(feature))
            tree_depth = _pack_tree(tree, num_features, feature, threshold, first_child, leaf_value)
            depth = max(depth, tree_depth)

        groups = np.asarray(tree_info, dtype=np.intp)
        if groups.size and (groups.min() < 0 or groups.max() >= num_groups):
            raise ValueError(f"tree_info names groups outside 0..{num_groups - 1}")
        group_matrix = np.zeros((len(trees), num_groups), dtype=np.float64)
        group_matrix[np.arange(len(trees)), groups] = 1.0
        ensemble = cls(
            objective=objective,
            num_features=num_features,
            num_groups=num_groups,
            depth=depth,
            feature=np.asarray(feature, dtype=np.intp),
            threshold=np.asarray(threshold, dtype=np.float32),
            first_child=np.asarray(first_child, dtype=np.intp),
            leaf_value=np.asarray(leaf_value, dtype=np.float32),
            roots=np.asarray(roots, dtype=np.intp),
            tree_group=groups,
            group_matrix=group_matrix,
            base_margin=base_margin,
        )
        log.debug(
            "packed %d trees, %d nodes, depth %d, %d groups (%s)",
            len(trees),
            len(feature),
            depth,
            num_groups,
            objective,
        )
        return ensemble

    def leaves(self, rows: npt.ArrayLike) -> IntArray:
        """Global index of the leaf each row reaches in each tree, shape (rows, trees)."""
        x = np.asarray(rows, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"expected rows of shape (n, {self.num_features}), got {np.shape(rows)}"
            )
        # The row followed by its negation; default-right splits read the negated half.
        xs = np.concatenate((x, -x), axis=1)
        out = np.empty((x.shape[0], self.num_trees), dtype=np.intp)
        _walk(xs, self.roots, self.feature, self.threshold, self.first_child, self.depth, out)
        return out

    def margins(self, rows: npt.ArrayLike) -> FloatArray:
        """Raw margins, shape (rows, groups): ``inplace_predict(predict_type="margin")``
        (which for one group is shape (rows,))."""
        values = np.take(self.leaf_value, self.leaves(rows)).astype(np.float64)
        margin = values @ self.group_matrix
        margin += self.base_margin
        return margin.astype(np.float32)

    def predict(self, rows: npt.ArrayLike) -> FloatArray:
        """Like ``booster.inplace_predict(rows, missing=np.nan)``: softmax probabilities,
        shape (rows, classes), for ``multi:softprob``; the sigmoid, shape (rows,), for
        ``binary:logistic``. float32, like XGBoost."""
        values = np.take(self.leaf_value, self.leaves(rows)).astype(np.float64)
        margin = values @ self.group_matrix
        margin += self.base_margin
        if self.objective == "binary:logistic":
            return (1.0 / (1.0 + np.exp(-margin[:, 0]))).astype(np.float32)
        margin -= margin.max(axis=1, keepdims=True)
        np.exp(margin, out=margin)
        margin /= margin.sum(axis=1, keepdims=True)
        return margin.astype(np.float32)


# Up to this many rows are predicted by the packed trees (all trees at once in numpy, ~5x
# faster than XGBoost for one row); larger batches (training, backtests) by XGBoost itself.
NUMPY_TREES_MAX_ROWS = 64


def predict_rows(
    booster: xgb.Booster, rows: np.ndarray, cache: dict[str, TreeEnsemble], key: str
) -> np.ndarray:
    """A booster's predictions: the live path's few rows by its trees packed once (kept in
    ``cache`` under ``key``), larger batches by XGBoost itself."""
    if rows.shape[0] <= NUMPY_TREES_MAX_ROWS:
        trees = cache.get(key)
        if trees is None:
            trees = cache[key] = TreeEnsemble.from_booster(booster)
        return np.asarray(trees.predict(rows), dtype=np.float64)
    return np.asarray(booster.inplace_predict(rows, missing=np.nan), dtype=np.float64)


@numba.njit(cache=True, nogil=True)
def _walk(
    xs: np.ndarray,
    roots: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    first_child: np.ndarray,
    depth: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled; tested through TreeEnsemble against XGBoost
    """Step every tree down to its leaf for every row: out[r, t] = the leaf row r reaches in
    tree t (float32 comparisons; NaN > t is false, so missing values take the first child;
    a leaf is its own first child)."""
    for r in range(xs.shape[0]):
        for tree in range(roots.size):
            node = roots[tree]
            for _ in range(depth):
                child = first_child[node]
                if child == node:
                    break
                node = child + (1 if xs[r, feature[node]] > threshold[node] else 0)
            out[r, tree] = node


def _base_margin(objective: str, base_score: str, num_groups: int) -> npt.NDArray[np.float64]:
    """The margin every prediction starts from, one per output group.

    ``learner_model_param.base_score`` is a scalar string ("5E-1", older models) or, in
    XGBoost 3.x, a vector string ("[1.25E-1,...]", one intercept per group). Checked against
    ``predict_type="margin"`` (tests/models/test_trees.py):

    * ``binary:logistic``: base_score is a probability; margin = logit(base_score).
    * ``multi:softprob``: used as is (the softmax objective's prob-to-margin is the
      identity). XGBoost 3.x stores the class priors already as centred log-probabilities,
      e.g. "[7.5E-2,-1.47E-1,...]"; a scalar is applied to every class.
    """
    text = base_score.strip()
    if text.startswith("["):
        text = text[1:-1]
    values = np.asarray([float(v) for v in text.split(",") if v.strip()], dtype=np.float64)
    if values.size == 1:
        values = np.full(num_groups, values[0])
    if values.size != num_groups:
        raise ValueError(f"base_score {base_score!r} does not match {num_groups} output groups")
    if objective == "binary:logistic":
        if not np.all((values > 0.0) & (values < 1.0)):
            raise ValueError(f"binary:logistic base_score {base_score!r} is not in (0, 1)")
        # XGBoost computes the logit in float32.
        p = values.astype(np.float32)
        return np.asarray(-np.log(np.float32(1.0) / p - np.float32(1.0)), dtype=np.float64)
    return values


def _tree_slice(
    gbtree: dict[str, Any], iteration_range: tuple[int, int], num_groups: int
) -> tuple[int, int]:
    """Tree indices [begin, end) of boosting rounds ``iteration_range`` (0, 0 = all)."""
    num_trees = len(gbtree["trees"])
    indptr = gbtree.get("iteration_indptr")
    if not indptr:
        per_round = int(gbtree["gbtree_model_param"]["num_parallel_tree"]) * num_groups
        indptr = list(range(0, num_trees + 1, per_round))
    rounds = len(indptr) - 1
    begin, end = iteration_range
    if (begin, end) == (0, 0):
        return 0, num_trees
    if not 0 <= begin < end <= rounds:
        raise ValueError(f"iteration_range {iteration_range} outside the model's {rounds} rounds")
    return int(indptr[begin]), int(indptr[end])


def _pack_tree(
    tree: dict[str, Any],
    num_features: int,
    feature: list[int],
    threshold: list[float],
    first_child: list[int],
    leaf_value: list[float],
) -> int:
    """Append one tree, renumbered breadth-first so siblings are adjacent (the child taken
    by missing values first). Returns the tree's depth (edges from root to deepest leaf)."""
    tree_id = tree.get("id")
    param = tree["tree_param"]
    if int(param.get("size_leaf_vector", "1")) > 1 or "leaf_weights" in tree:
        raise ValueError(
            f"tree {tree_id}: vector-leaf (multi_strategy=multi_output_tree) trees are not "
            "supported"
        )
    if any(tree.get("split_type") or []) or tree.get("categories_nodes"):
        raise ValueError(f"tree {tree_id}: categorical splits are not supported")
    left: list[int] = tree["left_children"]
    right: list[int] = tree["right_children"]
    split_index: list[int] = tree["split_indices"]
    split_condition: list[float] = tree["split_conditions"]
    default_left: list[int] = tree["default_left"]

    base = len(feature)
    # Breadth-first renumbering: new index -> old node id. Visiting nodes in the order they
    # were numbered is breadth-first, and each split's two children get consecutive numbers.
    old_of_new: list[int] = [0]
    level_of_new: list[int] = [0]
    first_new: list[int] = []
    depth = 0
    new = 0
    while new < len(old_of_new):
        old, level = old_of_new[new], level_of_new[new]
        depth = max(depth, level)
        if left[old] == -1:
            first_new.append(new)
        else:
            first_new.append(len(old_of_new))
            pair = (left[old], right[old]) if default_left[old] else (right[old], left[old])
            old_of_new.extend(pair)
            if len(old_of_new) > len(left):
                raise ValueError(f"tree {tree_id}: malformed, a node is reached twice")
            level_of_new.extend((level + 1, level + 1))
        new += 1
    for new, old in enumerate(old_of_new):
        if left[old] == -1:
            feature.append(0)
            threshold.append(math.inf)
            leaf_value.append(float(np.float32(split_condition[old])))
        else:
            f = int(split_index[old])
            if not 0 <= f < num_features:
                raise ValueError(f"tree {tree_id}: split on feature {f} of {num_features}")
            t = np.float32(split_condition[old])
            if not np.isfinite(t):
                raise ValueError(f"tree {tree_id}: non-finite split condition {t}")
            if default_left[old]:
                feature.append(f)
                threshold.append(float(np.nextafter(t, np.float32(-np.inf))))
            else:
                feature.append(f + num_features)
                threshold.append(float(-t))
            leaf_value.append(0.0)
        first_child.append(base + first_new[new])
    return depth


def average_boosters(boosters: list[xgb.Booster]) -> xgb.Booster:
    """One booster whose margin is the mean of ``boosters``' margins (a seed ensemble).

    Every member's trees are kept with their leaf values divided by the number of members,
    and the intercepts (``base_score``, one per class) are averaged, so the result is a
    plain XGBoost gbtree model: saved, loaded, explained (``pred_contribs``) and walked by
    :class:`TreeEnsemble` like any other. The members must be ``multi:softprob`` gbtree
    models with the same classes and feature names. A single booster is returned as is."""
    if not boosters:
        raise ValueError("average_boosters needs at least one booster")
    if len(boosters) == 1:
        return boosters[0]
    documents = [json.loads(b.save_raw("json")) for b in boosters]
    models = [d["learner"] for d in documents]
    first = models[0]
    num_groups = int(first["learner_model_param"].get("num_class", "0"))
    scale = 1.0 / len(models)
    trees: list[dict[str, Any]] = []
    tree_info: list[int] = []
    indptr = [0]
    for learner in models:
        if learner["objective"]["name"] != "multi:softprob":
            raise ValueError("only multi:softprob boosters can be averaged")
        if learner["gradient_booster"]["name"] != "gbtree":
            raise ValueError("only plain gbtree boosters can be averaged")
        if learner["feature_names"] != first["feature_names"]:
            raise ValueError("boosters differ in their feature names")
        if int(learner["learner_model_param"]["num_class"]) != num_groups:
            raise ValueError("boosters differ in their number of classes")
        gbtree = learner["gradient_booster"]["model"]
        offset = len(trees)
        own_ptr = gbtree.get("iteration_indptr") or range(0, len(gbtree["trees"]) + 1, num_groups)
        for tree in gbtree["trees"]:
            tree["base_weights"] = [w * scale for w in tree["base_weights"]]
            tree["split_conditions"] = [
                v * scale if child == -1 else v
                for v, child in zip(tree["split_conditions"], tree["left_children"], strict=True)
            ]
            tree["id"] = len(trees)
            trees.append(tree)
        tree_info.extend(gbtree["tree_info"])
        indptr.extend(offset + int(p) for p in list(own_ptr)[1:])
    bases = np.mean(
        [
            _base_margin("multi:softprob", m["learner_model_param"]["base_score"], num_groups)
            for m in models
        ],
        axis=0,
    )
    first["learner_model_param"]["base_score"] = "[" + ",".join(f"{b:.9E}" for b in bases) + "]"
    first["attributes"] = {}
    model = first["gradient_booster"]["model"]
    model["trees"] = trees
    model["tree_info"] = tree_info
    model["iteration_indptr"] = indptr
    model["gbtree_model_param"]["num_trees"] = str(len(trees))
    out = xgb.Booster()
    out.load_model(bytearray(json.dumps(documents[0]).encode()))
    return out
