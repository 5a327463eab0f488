"""Column headers of CSV/Parquet exports → canonical mnemonics and the units they declare.

Exports name their columns in words with the unit at the end: ``Average Hookload kkgf``,
``Hole depth (MD) m``, ``RPM30s rpm``, ``TVA (m3)``, ``Hookload [klbf]``, ``SPP psi``. A header
is split (:func:`split_header`) into its quantity words and a trailing unit: the last
bracketed part if it names a unit, else the last word if it is a unit spelling of
:data:`pipelines.formats.units.UNIT_SPELLINGS` (pint alone would read ``Flow In`` as a flow
in inches). The quantity then goes to a canonical mnemonic (:func:`header_mnemonic`):

1. the whole header, or its quantity words, as a canonical mnemonic (``TVA``, ``HKLA kN``)
   or a name of the alias table (``HKLD``, ``PIT_DRILL``, site entries first);
2. the quantity words without qualifiers (``Average``, ``Averaged``, ``Avg``, ``Mean``,
   ``(MD)``, a window such as ``30s``), joined by spaces, ``_`` or nothing, in the alias table
   (``Weight on Bit`` → ``WEIGHT_ON_BIT``), else in :data:`QUANTITY_WORDS`.

A column that maps to no mnemonic is kept as an extra channel, unconverted: under its own
header if that is a valid channel name (``MWIN``, ``RigActivityCode``), else under a
sanitised one (``Mud Weight In sg`` → ``Mud_Weight_In_sg``; the unit stays in the name as
nothing else records it).

Two columns that map to one mnemonic are refused, naming both (:class:`HeaderError`),
unless exactly one of them is the mnemonic itself (or was chosen by the caller): picking
one by file order would store the other's meaning under the mnemonic half the time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.channels import BY_MNEMONIC, CANONICAL
from pipelines.formats.aliases import DEFAULT_ALIASES
from pipelines.formats.units import UnitError, conversion, is_unit, unscaled_reason
from pipelines.telemetry import CHANNEL_RE

__all__ = [
    "QUALIFIERS",
    "QUANTITY_WORDS",
    "ColumnPlan",
    "Header",
    "HeaderError",
    "header_mnemonic",
    "map_columns",
    "sanitise",
    "split_header",
]

QUALIFIERS: frozenset[str] = frozenset(
    {"average", "averaged", "avg", "ave", "mean", "md", "smoothed", "filtered"}
)
"""Words that say how a quantity was sampled, not what it is; dropped before matching.
``MD`` (measured depth) is one: hole and bit depths are measured depths unless ``TVD``."""

_BY_TARGET: dict[str, tuple[str, ...]] = {
    "DBTM": ("bit depth", "depth bit", "bit position", "bit measured depth"),
    "DMEA": (
        "hole depth",
        "depth hole",
        "measured depth",
        "hole measured depth",
        "well depth",
        "total depth",
        "depth",
    ),
    "BPOS": (
        "block position",
        "block height",
        "block pos",
        "hook position",
        "hook height",
        "travelling block position",
        "traveling block position",
    ),
    "ROPA": ("rop", "rate of penetration", "penetration rate", "rop instantaneous"),
    "HKLA": ("hookload", "hook load", "hook weight", "weight on hook", "hkld"),
    "WOBA": ("weight on bit", "wob", "bit weight", "surface weight on bit", "surface wob"),
    "TQA": (
        "torque",
        "surface torque",
        "rotary torque",
        "top drive torque",
        "td torque",
        "string torque",
    ),
    "RPMA": (
        "rpm",
        "rotary speed",
        "rotary rpm",
        "surface rpm",
        "surface rotary speed",
        "top drive rpm",
        "top drive speed",
        "td rpm",
        "td speed",
        "string rpm",
        "rotation speed",
        "rotational speed",
    ),
    "SPPA": (
        "standpipe pressure",
        "stand pipe pressure",
        "standpipe press",
        "stand pipe press",
        "spp",
        "pump pressure",
        "pump press",
    ),
    "CHKP": ("choke pressure", "choke press"),
    "MFIA": (
        "flow in",
        "mud flow in",
        "flow rate in",
        "flow in rate",
        "mud flow rate in",
        "flowrate in",
        "inflow",
        "pump output",
        "total pump output",
    ),
    "MFOA": (
        "flow out",
        "mud flow out",
        "flow rate out",
        "flow out rate",
        "mud flow rate out",
        "flowrate out",
        "return flow",
        "returns flow",
        "return flow rate",
        "outflow",
    ),
    "MFOP": (
        "flow out paddle",
        "flow paddle",
        "return flow paddle",
        "paddle",
        "flow out percent",
        "flow out pct",
    ),
    "TVA": (
        "pit volume",
        "pit vol",
        "active pit volume",
        "active pit vol",
        "active pit",
        "active pits",
        "active volume",
        "active pits volume",
        "pit volume active",
        "active tank volume",
    ),
    "GASA": ("total gas", "gas total", "tot gas", "gas"),
    # No ACTC: rig activity codes are vendors' vocabularies (see pipelines.formats.aliases),
    # an "Activity" column is kept under its own name.
}

QUANTITY_WORDS: dict[str, str] = {
    phrase: target for target, phrases in _BY_TARGET.items() for phrase in phrases
}
"""Quantity words (lower case, single spaces, qualifiers removed) → canonical mnemonic."""

# A bracketed header part that pint would read as a unit but that qualifies the quantity.
_NOT_UNITS = QUALIFIERS | {"tvd"}
_BRACKET_RE = re.compile(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]$")
# A sampling window glued to a name or standing alone: "RPM30s", "30 s", "1min".
_WINDOW_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:s|sec|secs|min|mins)\b")
_SPLIT_RE = re.compile(r"[\s_\-/.,:;()\[\]{}]+")
_SANITISE_RE = re.compile(r"[^A-Za-z0-9_.-]+")
_SANITISE_MAP = str.maketrans({"%": " pct ", "³": "3", "²": "2", "°": " deg ", "·": "."})
MAX_NAME = 32  # pipelines.telemetry.CHANNEL_RE


class HeaderError(ValueError):
    """A header is refused: ``where`` names the column(s) or option, ``reason`` says why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


@dataclass(frozen=True)
class Header:
    """A column header split into its quantity and the unit it declares."""

    text: str  # as in the file
    quantity: str  # the header without its unit, as written
    unit: str | None  # the declared unit as written, None if the header has none
    words: tuple[str, ...]  # quantity words, lower case, qualifiers dropped


def _words(quantity: str) -> tuple[str, ...]:
    text = _WINDOW_RE.sub(" ", quantity.lower())
    words = tuple(w for w in _SPLIT_RE.split(text) if w)
    kept = tuple(w for w in words if w not in QUALIFIERS)
    return kept or words


def split_header(text: str) -> Header:
    """``"Hole depth (MD) m"`` → quantity ``Hole depth (MD)``, unit ``m``.

    The unit is the last bracketed part if it names a unit (``TVA (m3)``, ``Hookload
    [klbf]``; not ``(MD)``), else the last one or two words if they are a unit spelling
    (``Torque kN m``); a one-word header has no unit (``ROP``, ``m``).
    """
    clean = " ".join(text.split())
    match = _BRACKET_RE.match(clean)
    if match and match.group(1):
        inner = match.group(2).strip()
        if inner.lower() not in _NOT_UNITS and is_unit(inner):
            return Header(text, match.group(1), inner, _words(match.group(1)))
    tokens = clean.split(" ")
    for n in (2, 1):
        if len(tokens) > n:
            unit = " ".join(tokens[-n:])
            if is_unit(unit, bare=True):
                quantity = " ".join(tokens[:-n])
                return Header(text, quantity, unit, _words(quantity))
    return Header(text, clean, None, _words(clean))


def _key(name: str) -> str:
    return " ".join(name.split()).upper()


def header_mnemonic(
    header: Header, table: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """The canonical mnemonic a header names and how it was found.

    Returns ``(mnemonic, how)`` with ``how`` one of ``"mnemonic"`` (the header or its
    quantity *is* the mnemonic), ``"alias"`` (alias table) or ``"words"``
    (:data:`QUANTITY_WORDS`); ``(None, "unmapped")`` if none. ``table`` is an alias table
    from :func:`pipelines.formats.aliases.load_aliases` (None: the defaults).
    """
    mnemonic, how = _mnemonic(header, DEFAULT_ALIASES if table is None else table)
    if mnemonic == "MFOA" and header.unit is not None and _is_fraction(header.unit):
        # "Flow Out %" is the paddle's reading, not a rate: MFOP.
        return "MFOP", how
    return mnemonic, how


def _is_fraction(unit: str) -> bool:
    try:
        conversion(unit, "%")
    except UnitError:
        return False
    return True


def _mnemonic(header: Header, aliases: Mapping[str, str]) -> tuple[str | None, str]:
    for name in (header.text, header.quantity):
        key = _key(name)
        if key in CANONICAL:
            return key, "mnemonic"
        if key in aliases:
            return aliases[key], "alias"
    words = header.words
    for joined in (" ".join(words), "_".join(words), "".join(words)):
        if joined.upper() in aliases:
            return aliases[joined.upper()], "alias"
    phrase = " ".join(words)
    if phrase in QUANTITY_WORDS:
        return QUANTITY_WORDS[phrase], "words"
    return None, "unmapped"


def sanitise(text: str) -> str:
    """A valid channel name for a header (``Mud Weight In sg`` → ``Mud_Weight_In_sg``).

    A header that is already a valid channel name is kept as it is.
    """
    if CHANNEL_RE.match(text):
        return text
    name = _SANITISE_RE.sub("_", text.translate(_SANITISE_MAP)).strip("_.-")
    if not name or not name[0].isalpha():
        name = f"c_{name}".rstrip("_")
    return name[:MAX_NAME].rstrip("_.-")


@dataclass(frozen=True)
class ColumnPlan:
    """Where one source column goes (see :func:`map_columns`)."""

    source: str  # the header as in the file
    channel: str  # the batch channel: a canonical mnemonic, or the name it is kept under
    unit: str | None  # the unit the header declares (None: none)
    how: str  # "mnemonic", "alias", "words", "given", "unmapped", "collision", "unscaled"
    target: str | None  # the mnemonic the header names (also when it lost a collision)
    near: str | None = None  # unmapped: the mnemonic it names if its last word is a unit

    @property
    def mapped(self) -> bool:
        return self.channel in CANONICAL


def _unique(name: str, used: set[str]) -> str:
    if name.upper() not in used:
        return name
    for n in range(2, 1000):
        suffix = f"_{n}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        if candidate.upper() not in used:
            return candidate
    raise HeaderError("header", f"too many columns named like {name!r}")


def _given_targets(headers: Sequence[str], given: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's ``{column: channel}`` choices, checked, by source header."""
    out: dict[str, str] = {}
    for key, value in (given or {}).items():
        matches = [h for h in headers if h == key] or [h for h in headers if _key(h) == _key(key)]
        if len(matches) != 1:
            raise HeaderError(
                f"columns.{key}", f"not a column of the file (columns: {', '.join(headers)})"
            )
        target = value.strip()
        if _key(target) in CANONICAL:
            target = _key(target)
        elif not CHANNEL_RE.match(target):
            raise HeaderError(
                f"columns.{key}",
                f"{value!r} is neither a canonical mnemonic ({', '.join(CANONICAL)}) nor a "
                "valid channel name (1-32 letters, digits, '_', '.', '-')",
            )
        out[matches[0]] = target
    kept = [t.upper() for t in out.values() if t not in CANONICAL]
    twice = sorted({t for t in kept if kept.count(t) > 1})
    if twice:
        raise HeaderError("columns", f"{twice[0]!r} is given to several columns")
    return out


def map_columns(
    headers: Sequence[str],
    table: Mapping[str, str] | None = None,
    *,
    given: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> list[ColumnPlan]:
    """Map data column headers (the time column left out) to batch channels, in file order.

    ``given`` is the caller's choice for some columns (``{"Averaged WOB kkgf": "WOBA"}``):
    a canonical mnemonic, or a channel name to keep the column under unmapped. ``units``
    (by header as written) replace the units the headers declare. A column in a unit of no
    scale (``Euc``) does not claim its mnemonic (``how="unscaled"``, kept under its own
    name) unless named as the mnemonic or given. Raises :class:`HeaderError` when two
    columns map to one mnemonic and neither or both of them are the mnemonic itself or
    given, or when ``given`` names no column.
    """
    chosen = _given_targets(headers, given)
    parsed = [split_header(h) for h in headers]
    declared = units or {}
    parsed = [_with_unit(h, declared[h.text], table) if h.text in declared else h for h in parsed]
    found: list[tuple[Header, str | None, str]] = []
    unscaled: dict[str, str] = {}
    for header in parsed:
        if header.text in chosen:
            choice = chosen[header.text]
            found.append((header, choice if choice in CANONICAL else None, "given"))
            continue
        mnemonic, how = header_mnemonic(header, table)
        no_scale = header.unit is not None and unscaled_reason(header.unit) is not None
        if mnemonic is not None and how != "mnemonic" and no_scale:
            unscaled[header.text] = mnemonic
            mnemonic = None
        found.append((header, mnemonic, how))
    owners: dict[str, str] = {}
    for mnemonic in CANONICAL:
        claims = [(h, how) for h, t, how in found if t == mnemonic]
        if not claims:
            continue
        strong = [h for h, how in claims if how in ("mnemonic", "given")]
        if len(claims) == 1 or len(strong) == 1:
            owners[mnemonic] = (strong or [claims[0][0]])[0].text
            continue
        names = ", ".join(repr(h.text) for h, _ in claims[:-1]) + f" and {claims[-1][0].text!r}"
        raise HeaderError(
            "header",
            f"columns {names} {'both' if len(claims) == 2 else 'all'} map to {mnemonic} "
            f"({BY_MNEMONIC[mnemonic].meaning}): say "
            f"which one it is with --columns (e.g. --columns '{claims[0][0].text}={mnemonic}'); "
            "the others are then kept under their own names",
        )
    used = set(owners)
    used.update(t.upper() for t in chosen.values() if t not in CANONICAL)
    plans: list[ColumnPlan] = []
    for header, target, how in found:
        if target is not None and owners.get(target) == header.text:
            plans.append(ColumnPlan(header.text, target, header.unit, how, target))
            continue
        if how == "given":  # kept under the name the caller gave
            name = chosen[header.text]
        else:
            name = _unique(sanitise(header.text.strip()), used)
        used.add(name.upper())
        if header.text in unscaled:
            kind, target = "unscaled", unscaled[header.text]
        elif target is not None:
            kind = "collision"
        else:
            kind = "given" if how == "given" else "unmapped"
        near = near_mnemonic(header, table) if kind == "unmapped" else None
        plans.append(ColumnPlan(header.text, name, header.unit, kind, target, near))
    return plans


def _with_unit(header: Header, unit: str, table: Mapping[str, str] | None) -> Header:
    """The header with the unit the caller declares for it.

    When the header ends with a word that is no unit drillwatch knows but names a mnemonic
    without it (``Hookload zorks``), that word is the unit the caller declares.
    """
    if header.unit is None and near_mnemonic(header, table) is not None:
        quantity = " ".join(header.text.split()).rpartition(" ")[0]
        return Header(header.text, quantity, unit, _words(quantity))
    return Header(header.text, header.quantity, unit, header.words)


def near_mnemonic(header: Header, table: Mapping[str, str] | None = None) -> str | None:
    """The mnemonic an unmapped header would name if its last word were a unit.

    ``Hookload zorks`` → ``HKLA``: a unit drillwatch does not know, or a quantity it does
    not have (``Hookload Max``)? Not guessed: the import keeps the column and says so. A
    numbered sensor (``SPP 2``) is not a near miss.
    """
    if header.unit is not None:
        return None
    quantity, _, last = " ".join(header.text.split()).rpartition(" ")
    if not quantity or not re.search(r"[A-Za-z]", last):
        return None
    mnemonic, _ = header_mnemonic(Header(header.text, quantity, last, _words(quantity)), table)
    return mnemonic
