"""WITS Level 0: a pure frame parser, the frame encoder, and an asyncio TCP listener.

Framing (docs/domain.md §2)::

    &&
    01012/4-A-12
    0105160929
    0106004628
    01083650.40
    01142051.2
    !!

* a frame starts with a line ``&&`` and ends with a line ``!!``; lines end in CRLF or LF
  (surrounding blanks are ignored);
* each line inside is ``RRII<value>``: a 4-digit record + item id, then the value;
* record 01 items map to canonical channels by their WITS ids (``models/channels.py``:
  0108 ``DBTM``, 0110 ``DMEA``, 0114 ``HKLA``, ... 0107 ``ACTC``); other items are kept as
  channels named ``WITS<id>`` (``WITS0115``) unless ``item_map`` names them;
* 0101 is the well id, 0105 the date ``YYMMDD`` and 0106 the time ``HHMMSS`` (UTC) when the
  sample was taken; without them a frame is stamped with its arrival time. 0102-0104
  (sidetrack, record and sequence ids) are ignored;
* a value equal to one of ``nulls`` (default -9999) is a null: NaN in the batch;
* a line that is not ``RRII<number>``, a number that is not finite, or any line outside a
  frame is garbage: logged (``WARNING``) and skipped; the frame keeps its good values. A
  frame with no valid (non-null) value is dropped with a warning. A ``&&`` before the
  previous frame's ``!!`` closes the previous frame (its values are kept, with a warning);
* bytes are buffered across :meth:`Wits0Parser.feed` calls, so frames may be split
  anywhere; a line longer than 1,024 bytes is discarded.

A recorded stream (a ``.wits`` file) is read strictly by :func:`read_wits0_file`: there,
any of the problems above refuses the whole file, naming the line.

Units: values are taken to be in the internal units already (kN, kPa, L/min, ...), unless
``units`` maps a channel to the unit the rig sends (``{"HKLA": "klbf", "SPPA": "psi"}``),
which is then converted with :mod:`pipelines.formats.units`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from models.channels import CHANNELS
from pipelines.formats.files import FileFormatError
from pipelines.formats.units import UnitError, conversion, internal_unit
from pipelines.formats.units import check as check_unit
from pipelines.telemetry import WELL_ID_RE, BatchError, TelemetryBatch, datetime_to_ns

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ITEM_MAP",
    "OnBatch",
    "Wits0Error",
    "Wits0Frame",
    "Wits0Parser",
    "Wits0Server",
    "encode_frame",
    "frames_to_batch",
    "read_wits0_file",
    "serve_wits0",
]

DEFAULT_ITEM_MAP: dict[str, str] = {c.wits_id: c.mnemonic for c in CHANNELS}
"""WITS record+item id → canonical channel (record 01, docs/domain.md §2)."""

ITEM_WELL, ITEM_DATE, ITEM_TIME = "0101", "0105", "0106"
_IGNORED_ITEMS = frozenset({"0102", "0103", "0104"})
_FRAME_START, _FRAME_END = "&&", "!!"
_ITEM_RE = re.compile(r"(\d{4})(.*)")
_DIGITS_RE = re.compile(r"(\d{1,6})(?:\.0*)?")
_UNKNOWN_RE = re.compile(r"WITS(\d{4})")
MAX_LINE = 1024
_LIVE_ACTION_RE = re.compile(r",? skipped|; ignored|: stamped with arrival time| ignored$")
_LOUD_WARNINGS = 20  # per parser; after that only every 100th garbage warning is logged


class Wits0Error(ValueError):
    """A problem in a WITS0 stream read strictly (a recorded file)."""


@dataclass(frozen=True)
class Wits0Frame:
    """One decoded frame: values by channel (internal units; NaN = the rig sent a null)."""

    well_id: str | None
    time_ns: int | None  # from 0105/0106 (UTC), None if the frame had no valid date/time
    received_ns: int
    values: dict[str, float] = field(default_factory=dict)

    @property
    def when_ns(self) -> int:
        """The sample time: the frame's own time stamp, else its arrival time."""
        return self.time_ns if self.time_ns is not None else self.received_ns


class Wits0Parser:
    """Incremental WITS0 decoder for one connection (or serial line).

    ``well_id_default`` is used for frames without item 0101. ``item_map`` (id → channel)
    replaces :data:`DEFAULT_ITEM_MAP`; ``units`` (channel → unit sent) converts those
    channels to internal units. ``source`` names the stream in log messages; ``clock``
    returns the arrival time in UTC ns (for tests). ``strict`` (for recorded files,
    :func:`read_wits0_file`) raises :class:`Wits0Error` on the first problem instead of
    logging it and skipping the line, and refuses frames without their own date and time.
    """

    def __init__(
        self,
        well_id_default: str | None = None,
        nulls: Iterable[float] = (-9999.0,),
        item_map: Mapping[str, str] | None = None,
        *,
        units: Mapping[str, str] | None = None,
        source: str = "wits0",
        clock: Callable[[], int] = time.time_ns,
        strict: bool = False,
    ) -> None:
        if well_id_default is not None and not WELL_ID_RE.match(well_id_default):
            raise BatchError("well_id", f"{well_id_default!r} is not a valid well id")
        self.well_id_default = well_id_default
        self.nulls = tuple(float(n) for n in nulls)
        self.item_map = dict(DEFAULT_ITEM_MAP if item_map is None else item_map)
        self.source = source
        self._clock = clock
        self.strict = strict
        self._scale: dict[str, tuple[float, float]] = {}
        for channel, unit in (units or {}).items():
            check_unit(unit, channel)  # UnitError now, not on the first frame
            target = internal_unit(channel)
            if target is not None:
                self._scale[channel] = conversion(unit, target)
        self._pending = bytearray()
        self._discarding = False
        self._frame: dict[str, float] | None = None
        self._meta: dict[str, str] = {}
        self._frame_received = 0
        self.warnings = 0
        self.frames = 0
        self.dropped = 0

    @property
    def in_frame(self) -> bool:
        return self._frame is not None

    def warn(self, message: str, *args: object) -> None:
        if self.strict:  # a refusal: drop what the live listener would do instead
            raise Wits0Error(_LIVE_ACTION_RE.sub("", message % args))
        self.warnings += 1
        if self.warnings <= _LOUD_WARNINGS or self.warnings % 100 == 0:
            suffix = f" ({self.warnings} warnings so far)" if self.warnings > _LOUD_WARNINGS else ""
            log.warning("WITS0 %s: " + message + suffix, self.source, *args)

    def feed(self, data: bytes) -> list[Wits0Frame]:
        """Decode ``data`` (any chunk of the stream); returns the frames it completed."""
        frames: list[Wits0Frame] = []
        self._pending += data
        while True:
            end = self._pending.find(b"\n")
            if end < 0:
                break
            raw = bytes(self._pending[:end])
            del self._pending[: end + 1]
            if self._discarding:
                self._discarding = False
                continue
            frame = self._line(raw)
            if frame is not None:
                frames.append(frame)
        if len(self._pending) > MAX_LINE:
            self.warn("line longer than %d bytes discarded", MAX_LINE)
            self._pending.clear()
            self._discarding = True
        return frames

    def close(self) -> None:
        """End of stream: a frame still open is discarded (with a warning)."""
        if self._frame is not None:
            self.warn("stream ended inside a frame; its %d values are dropped", len(self._frame))
            self._frame = None
            self.dropped += 1
        self._pending.clear()

    def _line(self, raw: bytes) -> Wits0Frame | None:
        text = raw.decode("ascii", errors="replace").strip()
        if not text:
            return None
        if text == _FRAME_START:
            previous = None
            if self._frame is not None:
                self.warn("'&&' before '!!': the previous frame is closed here")
                previous = self._finish()
            self._frame, self._meta = {}, {}
            self._frame_received = self._clock()
            return previous
        if text == _FRAME_END:
            if self._frame is None:
                self.warn("'!!' outside a frame ignored")
                return None
            return self._finish()
        if self._frame is None:
            self.warn("line outside a frame skipped: %r", text[:80])
            return None
        match = _ITEM_RE.fullmatch(text)
        if match is None:
            self.warn("garbage line skipped: %r", text[:80])
            return None
        item, value_text = match.group(1), match.group(2).strip()
        if item in (ITEM_WELL, ITEM_DATE, ITEM_TIME):
            self._meta[item] = value_text
            return None
        if item in _IGNORED_ITEMS:
            return None
        channel = self.item_map.get(item, f"WITS{item}")
        try:
            value = float(value_text)
        except ValueError:
            self.warn("item %s (%s): %r is not a number, skipped", item, channel, value_text[:40])
            return None
        if not math.isfinite(value):
            self.warn("item %s (%s): %r is not finite, skipped", item, channel, value_text)
            return None
        if value in self.nulls:
            value = math.nan
        elif channel in self._scale:
            factor, offset = self._scale[channel]
            value = value * factor + offset
        self._frame[channel] = value
        return None

    def _frame_time(self) -> int | None:
        date, clock = self._meta.get(ITEM_DATE), self._meta.get(ITEM_TIME)
        if date is None and clock is None:
            return None
        d = _DIGITS_RE.fullmatch(date or "")
        t = _DIGITS_RE.fullmatch(clock or "")
        if d is None or t is None:
            self.warn("bad date/time (0105=%r, 0106=%r): stamped with arrival time", date, clock)
            return None
        ds, ts = d.group(1).zfill(6), t.group(1).zfill(6)
        yy = int(ds[:2])
        try:
            stamp = datetime(
                (2000 if yy < 70 else 1900) + yy,
                int(ds[2:4]),
                int(ds[4:6]),
                int(ts[:2]),
                int(ts[2:4]),
                int(ts[4:6]),
                tzinfo=UTC,
            )
        except ValueError:
            self.warn("bad date/time (0105=%r, 0106=%r): stamped with arrival time", date, clock)
            return None
        return datetime_to_ns(stamp)

    def _finish(self) -> Wits0Frame | None:
        values, self._frame = self._frame or {}, None
        well = self._meta.get(ITEM_WELL) or None
        if well is not None and not WELL_ID_RE.match(well):
            self.warn("item 0101: %r is not a valid well id; ignored", well[:64])
            well = None
        well = well or self.well_id_default
        if not any(not math.isnan(v) for v in values.values()):
            if not self.strict:  # in a file, a frame of nulls is data, not garbage
                self.warn("frame with no valid values dropped (well %s)", well)
            self.dropped += 1
            return None
        stamp = self._frame_time()
        if stamp is None and self.strict:
            raise Wits0Error("frame without its date and time (items 0105 and 0106)")
        self.frames += 1
        return Wits0Frame(well, stamp, self._frame_received, values)


def frames_to_batch(frames: Iterable[Wits0Frame]) -> TelemetryBatch:
    """Frames (of one well) → one batch with strictly increasing times.

    A frame's time is its 0105/0106 stamp, else its arrival time. Frames with the same
    time are merged with the last one winning: each channel takes the value of the last
    frame (in the given order) that carries it. Raises :class:`BatchError` if empty.
    """
    frames = list(frames)
    if not frames:
        raise BatchError("frames", "no frames to make a batch from")
    merged: dict[int, dict[str, float]] = {}
    names: dict[str, None] = {}
    for frame in sorted(frames, key=lambda f: f.when_ns):  # stable: arrival order kept
        merged.setdefault(frame.when_ns, {}).update(frame.values)
        names.update(dict.fromkeys(frame.values))
    times = sorted(merged)
    rows = [merged[t] for t in times]
    channels = {
        name: np.array([row.get(name, math.nan) for row in rows], dtype=np.float64)
        for name in names
    }
    return TelemetryBatch(np.array(times, dtype=np.int64), channels)


def read_wits0_file(
    path: Path, *, units: Mapping[str, str] | None = None
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """A recorded WITS0 stream (``.wits``) → one batch, strictly: all or nothing.

    Unlike the listener, which skips garbage on a live link, any garbage line, non-numeric
    or non-finite value, line outside a frame, unfinished frame, or frame without its own
    0105/0106 date and time refuses the file with :class:`~pipelines.formats.files.FileFormatError`
    naming the line. Frames of nulls only are dropped (counted). All frames must be of one
    well (0101) or carry none. ``units`` (channel → unit sent) as for :class:`Wits0Parser`.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    try:
        parser = Wits0Parser(units=units, source=str(path), strict=True)
    except UnitError as exc:
        raise FileFormatError(path, f"units.{exc.channel}", f"{exc.unit!r}: {exc.reason}") from None
    frames: list[Wits0Frame] = []
    number = 0  # the line being read, for the refusal
    try:
        for line in data.split(b"\n"):
            number += 1
            if len(line) > MAX_LINE:
                raise Wits0Error(f"line longer than {MAX_LINE} bytes")
            frames += parser.feed(line + b"\n")
        if parser.in_frame:
            raise Wits0Error("the file ends inside a frame (no '!!')")
    except Wits0Error as exc:
        raise FileFormatError(path, f"line {number}", str(exc)) from None
    if not frames:
        raise FileFormatError(path, "data", "no frame with a valid value")
    wells = sorted({f.well_id for f in frames if f.well_id is not None})
    if len(wells) > 1:
        raise FileFormatError(path, "0101", f"frames of several wells ({', '.join(wells)})")
    batch = frames_to_batch(frames)
    info: dict[str, Any] = {
        "format": "wits0",
        "well_id": wells[0] if wells else None,
        "frames": len(frames),
        "null_frames": parser.dropped,
        "samples": len(batch),
        "units": dict(units or {}),
    }
    return batch, info


def _format_value(value: float) -> str:
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.6f}"
    return text


def encode_frame(
    time: datetime,
    values: Mapping[str, float],
    well_id: str | None = None,
    *,
    item_map: Mapping[str, str] | None = None,
) -> bytes:
    """One WITS0 frame (CRLF lines) with 0101 (if ``well_id``), 0105/0106 and the values.

    ``time`` must be timezone-aware; it is sent in UTC to the second. NaN values are not
    sent. Channels must be in ``item_map`` (default: the canonical WITS ids) or named
    ``WITS<id>``; others raise :class:`BatchError` naming the channel.
    """
    if time.tzinfo is None:
        raise BatchError("time", f"{time.isoformat()} has no UTC offset")
    ids = {channel: item for item, channel in (item_map or DEFAULT_ITEM_MAP).items()}
    stamp = time.astimezone(UTC)
    lines = [_FRAME_START]
    if well_id is not None:
        if not WELL_ID_RE.match(well_id):
            raise BatchError("well_id", f"{well_id!r} is not a valid well id")
        lines.append(ITEM_WELL + well_id)
    lines.append(ITEM_DATE + stamp.strftime("%y%m%d"))
    lines.append(ITEM_TIME + stamp.strftime("%H%M%S"))
    for channel, value in values.items():
        item = ids.get(channel)
        if item is None:
            match = _UNKNOWN_RE.fullmatch(channel)
            if match is None:
                raise BatchError(f"channels.{channel}", "has no WITS item id")
            item = match.group(1)
        if value is None or math.isnan(value):
            continue
        if math.isinf(value):
            raise BatchError(f"channels.{channel}", f"{value} is not finite")
        lines.append(item + _format_value(value))
    lines.append(_FRAME_END)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


OnBatch = Callable[[str, TelemetryBatch], Awaitable[None] | None]
WellForPeer = Callable[[str, int], str | None]


class Wits0Server:
    """A running WITS0 listener (from :func:`serve_wits0`).

    One :class:`Wits0Parser` per connection, so one rig's garbage never touches another's
    frames. Frames are accumulated per well (item 0101, else ``well_for_peer``) and every
    ``flush_seconds`` each well's frames become one batch passed to ``on_batch``. Frames
    without a well id are dropped with a warning. If ``on_batch`` raises, the error is
    logged and that batch is dropped.
    """

    def __init__(
        self,
        on_batch: OnBatch,
        *,
        flush_seconds: float,
        well_for_peer: WellForPeer | None,
        nulls: Iterable[float],
        item_map: Mapping[str, str] | None,
        units: Mapping[str, str] | None,
    ) -> None:
        if flush_seconds <= 0:
            raise ValueError("flush_seconds must be positive")
        self.on_batch = on_batch
        self.flush_seconds = flush_seconds
        self.well_for_peer = well_for_peer
        self.nulls = tuple(nulls)
        self.item_map = item_map
        self.units = units
        if units:
            for channel, unit in units.items():
                check_unit(unit, channel)
        self._pending: dict[str, list[Wits0Frame]] = {}
        self._connections: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)
        self._flusher = asyncio.create_task(self._flush_loop(), name="wits0-flush")
        log.info(
            "WITS0 listening on %s:%d (flush every %.3g s)", host, self.port, self.flush_seconds
        )

    async def serve_forever(self) -> None:
        assert self._server is not None
        try:
            await self._server.serve_forever()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop listening, close the connections, flush what was received."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Wits0Server:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            await self.flush()

    async def flush(self) -> None:
        """Pass each well's accumulated frames to ``on_batch`` as one batch, now."""
        async with self._flush_lock:
            pending, self._pending = self._pending, {}
            for well, frames in pending.items():
                batch = frames_to_batch(frames)
                try:
                    result = self.on_batch(well, batch)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception(
                        "WITS0 on_batch failed for well %s: %d samples dropped", well, len(batch)
                    )

    def _peer_well(self, host: str, port: int) -> str | None:
        if self.well_for_peer is None:
            return None
        well = self.well_for_peer(host, port)
        if well is not None and not WELL_ID_RE.match(well):
            log.error("WITS0 %s:%d: well_for_peer gave invalid well id %r", host, port, well)
            return None
        return well

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        peer = writer.get_extra_info("peername") or ("?", 0)
        host, port = str(peer[0]), int(peer[1])
        label = f"{host}:{port}"
        parser: Wits0Parser | None = None
        try:
            default = self._peer_well(host, port)
            parser = Wits0Parser(default, self.nulls, self.item_map, units=self.units, source=label)
            log.info("WITS0 %s connected (well %s)", label, default or "from item 0101")
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for frame in parser.feed(data):
                    if frame.well_id is None:
                        parser.warn("frame without a well id (no 0101, no well_for_peer) dropped")
                        continue
                    self._pending.setdefault(frame.well_id, []).append(frame)
        except (ConnectionError, TimeoutError) as exc:
            log.warning("WITS0 %s: connection lost (%s)", label, exc)
        except asyncio.CancelledError:
            log.info("WITS0 %s: closing (server shutting down)", label)
        except Exception:
            log.exception("WITS0 %s: connection failed", label)
        finally:
            if parser is not None:
                parser.close()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            log.info(
                "WITS0 %s disconnected: %d frames, %d dropped, %d warnings",
                label,
                parser.frames if parser else 0,
                parser.dropped if parser else 0,
                parser.warnings if parser else 0,
            )
            if task is not None:
                self._connections.discard(task)


async def serve_wits0(
    host: str,
    port: int,
    on_batch: OnBatch,
    *,
    flush_seconds: float = 1.0,
    well_for_peer: WellForPeer | None = None,
    nulls: Iterable[float] = (-9999.0,),
    item_map: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> Wits0Server:
    """Start a WITS0 TCP listener; returns the running :class:`Wits0Server`.

    ``on_batch(well_id, batch)`` (sync or async) gets each well's frames once per
    ``flush_seconds``. ``well_for_peer(host, port)`` gives the well of a connection whose
    frames carry no item 0101 (0101 wins when present). Run it with
    ``await server.serve_forever()``, or stop it with ``await server.aclose()``, which
    closes the connections and flushes what was received.
    """
    server = Wits0Server(
        on_batch,
        flush_seconds=flush_seconds,
        well_for_peer=well_for_peer,
        nulls=nulls,
        item_map=item_map,
        units=units,
    )
    await server.start(host, port)
    return server
