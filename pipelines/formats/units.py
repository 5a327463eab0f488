"""Declared units → the internal unit of each canonical channel (docs/domain.md §2), with pint.

Imports declare units in the spellings of whoever wrote the file: WITSML SI base units
(``N``, ``N.m``, ``Pa``, ``m3/s``, ``c/s``), LAS oilfield units (``KLBF``, ``PSI``, ``GPM``,
``FT/HR``), and so on. :func:`convert` turns an array of values in such a unit into the
internal unit of a canonical channel (``HKLA`` → kN, ``SPPA`` → kPa, ...).

How a declared unit is resolved, in order:

1. the oilfield spelling table :data:`UNIT_SPELLINGS`, matched after trimming and
   lower-casing (so ``KN``, ``kN`` and ``kn`` are all kilonewtons, and ``MPa``/``mpa`` is
   a megapascal: nobody logs mud pressure in millipascals);
2. otherwise pint's own parser on the declared text as written (``kPa``, ``lbf/in**2``).

Spellings whose meaning the tables fix on purpose, so that pint's defaults never apply:

* ``c/s`` and ``Hz`` are *revolutions* per second (1 c/s = 60 rpm); pint would read ``c``
  as the speed of light and ``Hz`` as 1/s (9.55 rpm).
* ``bbl`` is the oil barrel (42 US gal, 0.159 m³); pint's ``bbl`` is 31.5 gal.
* ``gal`` is the US gallon.
* ``t``, ``tonne``, ``tf``, ``kkgf`` (kilo-kilogram-force) are the metric tonne-*force*
  (9.80665 kN): rigs give hookload and weight on bit "in tonnes"; pint's ``t`` is a mass.
* Dimensionless spellings (``""``, ``unitless``, ``1``, ``frac``, ``fraction``, ``none``,
  ``-``) are a *fraction*: to a ``%`` channel they are multiplied by 100.
* ``Euc`` ("engineering units", the unit of the Volve gas curves) names no scale, so it is
  :data:`UNSCALED`: it cannot be converted to any internal unit (:func:`conversion`
  refuses it) and the file readers keep such a curve under its own name, unconverted,
  instead of mapping it to a canonical channel (see :func:`unscaled_reason`). Decision
  taken on the Volve F-9 A values: ``TOTGAS`` is 0 in 7,948 of 8,084 rows and one
  circulation peak reaches 0.0201 Euc. Read as a fraction that is 2.0 % total gas, read as
  percent 0.02 %; both are plausible for an intervention well, nothing in the file says
  which, and a silent ×100 error on the gas channel would feed kick detection. A user who
  knows the scale declares it (``--units TOTGAS=%``).
* ``code`` (``ACTC``) is not a physical unit: only ``code`` or a dimensionless spelling is
  accepted, and values are kept as they are.

Conversions are affine (``internal = factor * value + offset``); the factor and offset of
each (declared unit, internal unit) pair are worked out with pint once and cached, so a
conversion is one vectorised multiply-add. The pint registry is created lazily, once.
"""

from __future__ import annotations

import logging
import math
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from models.channels import BY_MNEMONIC

if TYPE_CHECKING:
    import pint

log = logging.getLogger(__name__)

__all__ = [
    "DIMENSIONLESS",
    "UNIT_SPELLINGS",
    "UNSCALED",
    "UnitError",
    "check",
    "conversion",
    "convert",
    "internal_unit",
    "is_unit",
    "unscaled_reason",
]


class UnitError(ValueError):
    """A declared unit cannot be converted to a channel's internal unit."""

    def __init__(self, channel: str, unit: str, reason: str) -> None:
        super().__init__(f"curve {channel}: unit {unit!r}: {reason}")
        self.channel = channel
        self.unit = unit
        self.reason = reason


_DIMENSIONLESS_EXPR = "dimensionless"
DIMENSIONLESS: frozenset[str] = frozenset(
    {"", "unitless", "1", "frac", "fraction", "dimensionless", "none", "-", "v/v"}
)
UNSCALED: frozenset[str] = frozenset({"euc"})
"""Spellings (lower case) of units that name no scale: ``Euc``, "engineering units"."""


def unscaled_reason(unit: str) -> str | None:
    """Why a curve in ``unit`` cannot become a canonical channel, or None if it can.

    For :data:`UNSCALED` units (``Euc``): the file readers then keep the curve under its
    own name, unconverted, and list it with this reason in the import info.
    """
    if _normalise(unit) not in UNSCALED:
        return None
    return (
        f"unit {unit!r} (engineering units) has no defined scale; kept unconverted under "
        "its own name (declare its unit, e.g. %, to import it as a canonical channel)"
    )


_N_M = "newton * meter"
_KN_M = "kilonewton * meter"
_FT_LBF = "foot * force_pound"
_KFT_LBF = "1000 * foot * force_pound"
_KLBF = "1000 * force_pound"
_REV_S = "revolution / second"
_TONNE_F = "1000 * force_kilogram"

UNIT_SPELLINGS: dict[str, str] = {
    # force
    "n": "newton",
    "kn": "kilonewton",
    "dan": "decanewton",
    "lbf": "force_pound",
    "lb": "force_pound",
    "lbs": "force_pound",
    "klbf": _KLBF,
    "klb": _KLBF,
    "klbs": _KLBF,
    "kip": _KLBF,
    "kips": _KLBF,
    "1000 lbf": _KLBF,
    "1000lbf": _KLBF,
    "kdan": "10000 * newton",
    "kgf": "force_kilogram",
    # Metric tonne-force (9.80665 kN). On a rig floor a hookload "in tonnes" is a force,
    # so the mass spellings mean tonne-force here (pint reads "t" as a mass).
    "kkgf": _TONNE_F,
    "tf": _TONNE_F,
    "tonf": _TONNE_F,
    "t": _TONNE_F,
    "tonne": _TONNE_F,
    "tonnes": _TONNE_F,
    "tonne-force": _TONNE_F,
    "tonnef": _TONNE_F,
    # torque
    "n.m": _N_M,
    "n-m": _N_M,
    "n*m": _N_M,
    "n·m": _N_M,
    "nm": _N_M,
    "kn.m": _KN_M,
    "kn-m": _KN_M,
    "kn*m": _KN_M,
    "kn·m": _KN_M,
    "kn m": _KN_M,
    "knm": _KN_M,
    "dan.m": "decanewton * meter",
    "kgf.m": "force_kilogram * meter",
    "ft.lbf": _FT_LBF,
    "ft-lbf": _FT_LBF,
    "ftlbf": _FT_LBF,
    "ft.lb": _FT_LBF,
    "ft-lb": _FT_LBF,
    "ft.lbs": _FT_LBF,
    "ft-lbs": _FT_LBF,
    "lbf.ft": _FT_LBF,
    "lbf-ft": _FT_LBF,
    "kft.lbf": _KFT_LBF,
    "kft-lbf": _KFT_LBF,
    "kftlbf": _KFT_LBF,
    "kft.lb": _KFT_LBF,
    "kft-lb": _KFT_LBF,
    "kft.lbs": _KFT_LBF,
    "kft-lbs": _KFT_LBF,
    "ft.klbf": _KFT_LBF,
    "ft-klbf": _KFT_LBF,
    "klbf.ft": _KFT_LBF,
    "klbf-ft": _KFT_LBF,
    "1000 ft.lbf": _KFT_LBF,
    # pressure
    "pa": "pascal",
    "kpa": "kilopascal",
    "mpa": "megapascal",
    "bar": "bar",
    "psi": "force_pound / inch ** 2",
    "psig": "force_pound / inch ** 2",
    "kgf/cm2": "force_kilogram / centimeter ** 2",
    "kg/cm2": "force_kilogram / centimeter ** 2",
    "at": "force_kilogram / centimeter ** 2",
    # flow rate
    "m3/s": "meter ** 3 / second",
    "m3/min": "meter ** 3 / minute",
    "m3/h": "meter ** 3 / hour",
    "m3/hr": "meter ** 3 / hour",
    "l/min": "liter / minute",
    "lpm": "liter / minute",
    "l/s": "liter / second",
    "gal/min": "gallon / minute",
    "galus/min": "gallon / minute",
    "usgal/min": "gallon / minute",
    "gpm": "gallon / minute",
    "usgpm": "gallon / minute",
    "bbl/min": "oil_barrel / minute",
    "bpm": "oil_barrel / minute",
    "bbl/h": "oil_barrel / hour",
    "bbl/hr": "oil_barrel / hour",
    # rotary speed
    "c/s": _REV_S,
    "rev/s": _REV_S,
    "rps": _REV_S,
    "hz": _REV_S,
    "rpm": "revolution / minute",
    "rev/min": "revolution / minute",
    "r/min": "revolution / minute",
    "c/min": "revolution / minute",
    "1/min": "revolution / minute",
    "rad/s": "radian / second",
    # speed (ROP)
    "m/s": "meter / second",
    "m/min": "meter / minute",
    "m/h": "meter / hour",
    "m/hr": "meter / hour",
    "ft/s": "foot / second",
    "ft/min": "foot / minute",
    "ft/h": "foot / hour",
    "ft/hr": "foot / hour",
    "fph": "foot / hour",
    # length
    "m": "meter",
    "ft": "foot",
    "f": "foot",
    "feet": "foot",
    "usft": "survey_foot",
    # volume
    "m3": "meter ** 3",
    "m^3": "meter ** 3",
    "m**3": "meter ** 3",
    "m³": "meter ** 3",
    "bbl": "oil_barrel",
    "bbls": "oil_barrel",
    "l": "liter",
    "gal": "gallon",
    "ft3": "foot ** 3",
    # fractions
    "%": "percent",
    "pct": "percent",
    "percent": "percent",
    "ppm": "ppm",
    **dict.fromkeys(DIMENSIONLESS, _DIMENSIONLESS_EXPR),
}
"""Accepted oilfield spellings (lower case, trimmed) → pint expression."""

# Internal units (models/channels.py) as pint expressions; "code" is handled apart.
_INTERNAL_EXPR: dict[str, str] = {
    "m": "meter",
    "m/h": "meter / hour",
    "kN": "kilonewton",
    "kN.m": _KN_M,
    "rpm": "revolution / minute",
    "kPa": "kilopascal",
    "L/min": "liter / minute",
    "%": "percent",
    "m3": "meter ** 3",
}
_CODE = "code"


@cache
def _registry() -> pint.UnitRegistry[Any]:
    """The one pint registry, created on first use (it takes ~0.4 s)."""
    import pint

    log.debug("creating the pint unit registry")
    return pint.UnitRegistry()


def internal_unit(channel: str) -> str | None:
    """The internal unit of a canonical channel (``"kN"``), or None for other channels."""
    spec = BY_MNEMONIC.get(channel)
    return spec.unit if spec is not None else None


def _normalise(unit: str) -> str:
    return " ".join(unit.strip().split()).lower()


_POWER_RE = re.compile(r"(?<=[A-Za-z])([23])(?![0-9])")


def _pint_expression(unit: str) -> str:
    """The pint expression for a declared unit: the spelling table, else the text itself
    with ``m3``-style powers written out (``kg/m3`` → ``kg/m**3``)."""
    key = _normalise(unit)
    if key in UNIT_SPELLINGS:
        return UNIT_SPELLINGS[key]
    return _POWER_RE.sub(r"**\1", unit.strip())


@lru_cache(maxsize=1024)
def conversion(unit: str, target: str) -> tuple[float, float]:
    """``(factor, offset)`` with ``target_value = factor * value + offset``.

    ``target`` is an internal unit as written in ``models/channels.py`` (``kN``, ``kPa``,
    ``code``, ...). Raises :class:`UnitError` (channel ``"?"``) when ``unit`` is unknown
    or of another dimension; :func:`convert` re-raises it naming the channel.
    """
    key = _normalise(unit)
    if key in UNSCALED:
        raise UnitError("?", unit, "engineering units (Euc) have no defined scale")
    if target == _CODE:
        if key == _CODE or key in DIMENSIONLESS:
            return 1.0, 0.0
        raise UnitError("?", unit, "a code channel takes 'code' or no unit")
    target_expr = _INTERNAL_EXPR.get(target, target)
    expr = _pint_expression(unit)
    ureg = _registry()
    import pint

    try:
        source = ureg.parse_expression(expr)
        goal = ureg.parse_expression(target_expr)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitError("?", unit, f"unknown unit ({exc})") from None
    except Exception as exc:  # pint's parser raises a variety of errors on junk text
        raise UnitError("?", unit, f"cannot be parsed as a unit ({exc})") from None
    if not isinstance(source, ureg.Quantity):  # a bare number such as "1000"
        source = ureg.Quantity(source, _DIMENSIONLESS_EXPR)
    if not isinstance(goal, ureg.Quantity):
        goal = ureg.Quantity(goal, _DIMENSIONLESS_EXPR)
    try:
        zero = float(ureg.Quantity(0.0, source.units).to(goal.units).magnitude)
        one = float(ureg.Quantity(1.0, source.units).to(goal.units).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            "?",
            unit,
            f"is {source.dimensionality}, not convertible to {target} ({goal.dimensionality})",
        ) from None
    # Scale by the numeric part of expressions such as "1000 * force_pound".
    scale = float(source.magnitude) / float(goal.magnitude)
    # 15 significant digits: 0.3048 rather than 0.30479999999999996.
    factor, offset = float(f"{(one - zero) * scale:.15g}"), float(f"{zero:.15g}")
    if not (math.isfinite(factor) and math.isfinite(offset)) or factor == 0.0:
        raise UnitError("?", unit, f"gives no usable conversion to {target}")
    return factor, offset


def convert(values: np.ndarray, unit: str, channel: str) -> np.ndarray:
    """Values declared in ``unit`` → the internal unit of ``channel`` (float64, NaN kept).

    Channels that are not canonical (not in ``models/channels.py``) are returned unchanged
    (as float64): their unit is the one they came with. Raises :class:`UnitError` naming
    the channel and the unit when the unit is unknown or of the wrong dimension.

    >>> convert(np.array([646575.5]), "N", "HKLA").round(4).tolist()
    [646.5755]
    >>> convert(np.array([0.5]), "c/s", "RPMA").tolist()
    [30.0]
    """
    array = np.asarray(values, dtype=np.float64)
    target = internal_unit(channel)
    if target is None:
        return array
    try:
        factor, offset = conversion(unit, target)
    except UnitError as exc:
        raise UnitError(channel, unit, exc.reason) from None
    if factor == 1.0 and offset == 0.0:
        return array
    out = array * factor
    if offset != 0.0:
        out += offset
    return out


# Spellings of the table that are not taken as a unit when they end a column header
# without brackets: a trailing "1", "-", "at" or "F" is more likely part of the name
# ("Pit 1", "Pressure at") than its unit.
_NOT_BARE: frozenset[str] = frozenset({"", "1", "-", "none", "at", "f"})
# Bare tokens pint knows but that are words of a quantity ("Flow In", "Weight on Bit"):
# outside brackets only the spelling table, or a token that looks like a compound unit.
_COMPOUND_RE = re.compile(r"[/.*^·0-9³²%]")


@lru_cache(maxsize=4096)
def is_unit(text: str, *, bare: bool = False) -> bool:
    """Whether ``text`` names a unit: a spelling of :data:`UNIT_SPELLINGS`, ``Euc``, or an
    expression pint reads as a unit (not a bare number).

    ``bare=True`` is for the last word of a column header without brackets (``Hookload
    kkgf``), where pint's vocabulary is too wide (``in`` is an inch, ``bit`` a bit): only
    table spellings and compound-looking tokens (``kg/m3``, ``lbf.ft``) count there.
    """
    key = _normalise(text)
    if key in UNSCALED:
        return True
    if key in UNIT_SPELLINGS:
        return not (bare and key in _NOT_BARE)
    if not key or (bare and not _COMPOUND_RE.search(key)):
        return False
    if key == _CODE:
        return not bare
    ureg = _registry()
    try:
        parsed = ureg.parse_expression(_pint_expression(text))
    except Exception:  # pint's parser raises a variety of errors on words
        return False
    return isinstance(parsed, ureg.Quantity) and str(parsed.units) != _DIMENSIONLESS_EXPR


def check(unit: str, channel: str) -> None:
    """Raise :class:`UnitError` now if ``unit`` cannot be converted for ``channel``."""
    convert(np.empty(0), unit, channel)
