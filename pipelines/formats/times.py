"""Time stamps of CSV/Parquet exports: which column holds them, their zone and date order.

Exports name their time column ``time``, ``date``, ``DateTime``, ``Timestamp``, ``Time (UTC)``
and so on (:func:`find_time_column`), and write its values in many ways. Accepted values:

* year first, ``-``, ``/`` or ``.`` between the date fields, with or without leading zeros:
  ``2007-07-06 19:23:52``, ``2009-7-3 18:04:32``, ``2021-07-09T00:00:06.5Z``;
* day or month first (``03/07/2009 18:04:32``, ``03.07.2009``): whether ``03/07`` is the
  3rd of July or the 7th of March is not guessed, the caller says (``dayfirst``);
* an optional zone after the time: ``Z``, ``UTC``, ``GMT`` or an offset (``+01:00``, ``+0100``,
  ``+01``). A value with a zone keeps it. A value without one is refused unless the caller
  gives the zone of the file (``timezone``: an IANA name such as ``Europe/Oslo``, ``UTC``,
  or a fixed offset), or the column header names it (``Time (UTC)``): a guessed zone would
  shift every sample by hours, silently, against the accident labels.

In an IANA zone, local times repeated when clocks go back are resolved by their order in
the file (the first pass is daylight time); a time that never happened (clocks go forward)
or a repeat that cannot be ordered is refused.

Parsing is vectorised (one regular expression per value, integer arithmetic for the rest),
so a day of 1 s samples parses in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

__all__ = [
    "TIME_NAMES",
    "TimeColumn",
    "TimeValueError",
    "find_time_column",
    "is_time_stamp",
    "localize",
    "parse_times",
    "parse_timezone",
    "zone_name",
]

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S

TIME_NAMES: frozenset[str] = frozenset(
    {
        "time",
        "date",
        "datetime",
        "date time",
        "date/time",
        "date and time",
        "date & time",
        "timestamp",
        "time stamp",
        "time utc",
        "utc time",
        "dttm",
    }
)
"""Column names (lower case, ``_``/``-`` read as spaces, zone qualifier removed) that hold
the time stamps of a sample."""

# Names that are half of a split "date" + "time" pair of columns.
_DATE_ONLY = frozenset({"date"})
_TIME_ONLY = frozenset({"time"})

_ZONE = r"Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?"
_TIME_RE = re.compile(
    r"^\s*(?:(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y2>\d{4}))"
    r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    rf"\s*(?P<z>{_ZONE})?\s*$",
    re.IGNORECASE,
)
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_UTC_NAMES = frozenset({"utc", "z", "gmt", "etc/utc", "etc/gmt", "zulu"})
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

EXPECTED = "e.g. 2009-07-03 18:04:32, 2009-07-03T18:04:32Z or 03/07/2009 18:04:32"


class TimeValueError(ValueError):
    """A time value is refused: ``index`` is its row (0-based, in file order)."""

    def __init__(self, index: int, value: object, reason: str) -> None:
        super().__init__(f"row {index}: {value!r} {reason}")
        self.index, self.value, self.reason = index, value, reason


def parse_timezone(zone: str | tzinfo) -> tzinfo:
    """``"UTC"``, ``"+01:00"``, ``"-0330"``, ``"Europe/Oslo"`` (or a tzinfo) → a tzinfo.

    UTC spellings and fixed offsets become :class:`datetime.timezone` (so that equal zones
    compare equal); anything else must be an IANA name known to ``zoneinfo``. Raises
    ``ValueError`` naming the text otherwise.
    """
    if isinstance(zone, tzinfo):
        return zone
    text = zone.strip()
    if text.lower() in _UTC_NAMES:
        return UTC
    match = _OFFSET_RE.match(text)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"time zone {zone!r}: offset out of range")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta) if delta else UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {zone!r} (give an IANA name such as Europe/Oslo or UTC, "
            "or an offset such as +01:00)"
        ) from None


def zone_name(zone: tzinfo) -> str:
    """``UTC``, ``+01:00`` or the IANA key, as a user would write it."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None)
    if offset is None or offset == timedelta(0):
        return "UTC"
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def _base_name(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).lower()


def _header_zone(header: str) -> tuple[str, tzinfo | None]:
    """``"Time (UTC)"`` → ``("time", utc)``: the base name and the zone the header names."""
    text = " ".join(header.split())
    match = re.match(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]$", text)
    if match and match.group(1):
        base, qualifier = match.group(1), match.group(2).strip()
    else:
        words = re.split(r"[\s_]+", text)
        if len(words) > 1 and words[-1].lower() in _UTC_NAMES:  # "Time UTC"
            base, qualifier = " ".join(words[:-1]), words[-1]
        elif len(words) > 1 and words[0].lower() in _UTC_NAMES:  # "UTC Time"
            base, qualifier = " ".join(words[1:]), words[0]
        else:
            return _base_name(text), None
    try:
        zone = parse_timezone(qualifier)
    except ValueError:
        return _base_name(base), None  # "Time (s)", "Date (YYYY-MM-DD)": not a zone
    return _base_name(base), zone


@dataclass(frozen=True)
class TimeColumn:
    """The column(s) holding the time stamps and the zone their header names, if any."""

    columns: tuple[str, ...]  # one column, or a "date" and a "time" column to join
    header_zone: tzinfo | None

    @property
    def label(self) -> str:
        return " + ".join(self.columns)


def find_time_column(headers: Sequence[str], *, given: str | None = None) -> TimeColumn | str:
    """The time column among ``headers``, or the reason there is none (a string).

    ``given`` names it (case-insensitively). Otherwise the header must be one of
    :data:`TIME_NAMES` (``Time (UTC)`` names its zone too); a ``date`` and a ``time`` column
    together are read as one, joined; any other choice between several is the caller's.
    """
    if given is not None:
        matches = [h for h in headers if h == given] or [
            h for h in headers if h.strip().lower() == given.strip().lower()
        ]
        if len(matches) != 1:
            return f"no column {given!r} for the time stamps (columns: {', '.join(headers)})"
        return TimeColumn((matches[0],), _header_zone(matches[0])[1])
    found = [(h, *_header_zone(h)) for h in headers]
    candidates = [(h, base, zone) for h, base, zone in found if base in TIME_NAMES]
    if len(candidates) == 1:
        return TimeColumn((candidates[0][0],), candidates[0][2])
    if not candidates:
        return (
            "no time column (named time, date, datetime, timestamp, 'Time (UTC)', ...; "
            "or say which column with --time-column)"
        )
    if len(candidates) == 2:
        date = [c for c in candidates if c[1] in _DATE_ONLY]
        time = [c for c in candidates if c[1] in _TIME_ONLY]
        if date and time:
            # Split exports write the date in one column and the time of day in the other;
            # the reader joins them unless the "time" column holds whole time stamps.
            zones = {z for _, _, z in candidates if z is not None}
            return TimeColumn((date[0][0], time[0][0]), zones.pop() if len(zones) == 1 else None)
    exact = [c for c in candidates if c[0].strip().lower() == "time"]
    if len(exact) == 1:  # the name drillwatch's own exports use
        return TimeColumn((exact[0][0],), exact[0][2])
    return (
        f"several time columns ({', '.join(repr(c[0]) for c in candidates)}): say which "
        "with --time-column"
    )


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def parse_times(
    values: Sequence[object] | np.ndarray,
    *,
    timezone: tzinfo | None,
    dayfirst: bool | None,
) -> tuple[np.ndarray, int]:
    """Time stamp texts → UTC ns (int64, file order) and how many carried no zone.

    ``timezone`` applies to values without a zone (None: such values are refused);
    ``dayfirst`` says how to read ``03/07/2009`` (None: such dates are refused). Raises
    :class:`TimeValueError` naming the first bad row and value.
    """
    raw = list(values)
    n = len(raw)
    match = _TIME_RE.match
    found: list[tuple[str | None, ...]] = []
    for i, value in enumerate(raw):
        m = match(value) if isinstance(value, str) else None
        if m is None:
            empty = _missing(value) or (isinstance(value, str) and not value.strip())
            why = "is empty" if empty else f"is not a time stamp ({EXPECTED})"
            raise TimeValueError(i, value, why)
        found.append(m.groups())
    # Group order of _TIME_RE: y m d a b y2 H M S f z.
    fields = list(zip(*found, strict=True)) if found else [()] * 11

    def ints(k: int) -> np.ndarray:
        return np.fromiter((int(x) if x else 0 for x in fields[k]), dtype=np.int64, count=n)

    year, month, day = ints(0), ints(1), ints(2)
    other = np.fromiter((x is not None for x in fields[3]), dtype=bool, count=n)
    if other.any():
        if dayfirst is None:
            i = int(np.flatnonzero(other)[0])
            raise TimeValueError(
                i,
                raw[i],
                "does not say whether the day or the month comes first: give the date "
                "order with --dayfirst (03/07/2009 is 3 July) or --monthfirst (7 March)",
            )
        a, b, y2 = ints(3), ints(4), ints(5)
        year = np.where(other, y2, year)
        month = np.where(other, b if dayfirst else a, month)
        day = np.where(other, a if dayfirst else b, day)
    hour, minute, second = ints(6), ints(7), ints(8)
    frac = np.fromiter(
        (int(x.ljust(9, "0")) if x else 0 for x in fields[9]), dtype=np.int64, count=n
    )
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days_in_month = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    invalid = (
        ~month_ok | (day < 1) | (day > days_in_month) | (hour > 23) | (minute > 59) | (second > 59)
    )
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise TimeValueError(i, raw[i], "is not a valid date and time")
    local = (
        _days_from_civil(year, month, day) * NS_PER_DAY
        + ((hour * 60 + minute) * 60 + second) * NS_PER_S
        + frac
    )
    zones = fields[10]
    has_zone = np.fromiter((z is not None for z in zones), dtype=bool, count=n)
    offsets = np.zeros(n, dtype=np.int64)
    if has_zone.any():
        # Few distinct zone spellings per file ("Z", "+01:00"): parse each once.
        by_text: dict[str, int] = {}
        for row, text in enumerate(zones):
            if text is None:
                continue
            if text not in by_text:
                try:
                    offset = parse_timezone(text).utcoffset(None)
                except ValueError:
                    raise TimeValueError(row, raw[row], "has an offset out of range") from None
                by_text[text] = int(offset.total_seconds()) * NS_PER_S if offset else 0
            offsets[row] = by_text[text]
    utc = local - offsets
    naive = ~has_zone
    if naive.any():
        if timezone is None:
            i = int(np.flatnonzero(naive)[0])
            raise TimeValueError(
                i,
                raw[i],
                "has no time zone: give the zone the file's times are in with --timezone "
                "(an IANA name or an offset, e.g. --timezone UTC, --timezone Europe/Oslo, "
                "--timezone +01:00)",
            )
        rows = np.flatnonzero(naive)
        utc[rows] = localize(local[rows], timezone, rows=rows, raw=raw)
    return utc, int(naive.sum())


def is_time_stamp(value: object) -> bool:
    """Whether ``value`` is a whole time stamp (a date, and maybe a time and a zone)."""
    return isinstance(value, str) and _TIME_RE.match(value) is not None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT


def localize(
    local_ns: np.ndarray,
    zone: tzinfo,
    *,
    rows: np.ndarray | None = None,
    raw: Sequence[object] | None = None,
) -> np.ndarray:
    """Local wall-clock ns (no zone) in ``zone`` → UTC ns.

    ``rows`` gives the file row of each value and ``raw`` the values as written, for the
    error: a wall-clock time that never happened in ``zone`` (clocks going forward) or an
    ambiguous one (clocks going back) that the file order cannot resolve is refused.
    """
    local_ns = np.asarray(local_ns, dtype=np.int64)
    if not isinstance(zone, ZoneInfo):
        offset = zone.utcoffset(None)
        return local_ns - (int(offset.total_seconds()) * NS_PER_S if offset else 0)
    index = pd.DatetimeIndex(local_ns.view("datetime64[ns]"))
    try:
        aware = index.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    except ValueError:
        try:
            # Clocks going back repeat an hour; in file order the first pass is daylight time.
            aware = index.tz_localize(zone, ambiguous="infer", nonexistent="raise")
        except ValueError:
            aware = None
    if aware is None:
        gap = index.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()
        standard = np.zeros(len(index), dtype=bool)
        forward = index.tz_localize(zone, ambiguous=standard, nonexistent="NaT").isna()
        j = int(np.flatnonzero(gap)[0])
        row = int(rows[j]) if rows is not None else j
        value = raw[row] if raw is not None else str(index[j])
        why = (
            f"does not exist in {zone_name(zone)} (clocks went forward)"
            if forward[j]
            else f"is ambiguous in {zone_name(zone)} (clocks went back) and the file "
            "order does not tell which of the two it is"
        )
        raise TimeValueError(row, value, why)
    return aware.tz_convert("UTC").as_unit("ns").asi8.astype(np.int64)
