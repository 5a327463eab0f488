"""Binary encoding of one telemetry chunk: exact, columnar, compressed, no pickle.

Layout (version 1, all integers little-endian)::

    header   "<4sBBIH"  magic b"DWTC", version 1, codec 1 (zlib), n_samples, n_channels
    segment  1 for the time stamps, then one per channel in the order of the chunk's
             ``channels`` list (channel names live in the database row, not here)

    segment header "<BBbBqI": kind, width, scale, flags, base, body length
    segment body   zlib(  [NaN bitmap, np.packbits, if flags & 1]  +  byte-shuffled words )

Segment kinds:

* ``INT_DELTA`` (time stamps, int64 ns): ``base`` = first value; body = int64 ``step``
  (the greatest common divisor of the differences, e.g. 1 ms) + words = zigzag-encoded
  successive differences / step, narrowed to the smallest unsigned width (1, 2, 4, 8).
* ``DECIMAL`` (float64 channel whose values are all ``int / 10**scale`` exactly, as
  decimal text from WITS/WITSML/CSV parses to): the integers, delta + zigzag + narrowed
  like time stamps; NaN positions in the bitmap. Typical telemetry: ~1 byte per value.
* ``FLOAT32`` (float64 channel exactly representable as float32): XOR of successive
  float32 words.
* ``FLOAT64`` (anything else): XOR of successive float64 words (bit-exact, keeps every NaN
  payload, -0.0 and infinities).

Every choice is verified on encode by computing exactly what decode computes, so decoding
is bit-exact. Byte shuffling (all first bytes, then all second bytes, ...) groups the
near-constant high bytes so zlib can squeeze them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence

import numpy as np

MAGIC = b"DWTC"
VERSION = 1
CODEC_ZLIB = 1
ZLIB_LEVEL = 6

KIND_INT_DELTA = 1
KIND_DECIMAL = 2
KIND_FLOAT32 = 3
KIND_FLOAT64 = 4

FLAG_NAN_MASK = 1
MAX_DECIMAL_SCALE = 6
_EXACT_INT = 2**53  # float64 represents every integer below this exactly
_CANONICAL_NAN = np.array([np.nan], dtype=np.float64).view(np.int64)[0]

_HEADER = struct.Struct("<4sBBIH")
_SEGMENT = struct.Struct("<BBbBqI")


class ChunkFormatError(ValueError):
    """A stored chunk payload could not be decoded."""


# -- primitives ---------------------------------------------------------------------------


def _shuffle(words: np.ndarray) -> bytes:
    if words.size == 0:
        return b""
    return words.view(np.uint8).reshape(-1, words.itemsize).T.tobytes()


def _unshuffle(data: bytes | memoryview, dtype: np.dtype, n: int) -> np.ndarray:
    width = dtype.itemsize
    raw = np.frombuffer(data, dtype=np.uint8, count=n * width)
    return raw.reshape(width, n).T.copy().view(dtype).reshape(n)


def _zigzag(values: np.ndarray) -> np.ndarray:
    """Signed int64 -> unsigned, small magnitudes to small numbers (bijective, wraps)."""
    return ((values << 1) ^ (values >> 63)).view(np.uint64)


def _unzigzag(words: np.ndarray) -> np.ndarray:
    u = words.astype(np.uint64)
    return ((u >> np.uint64(1)) ^ (np.uint64(0) - (u & np.uint64(1)))).view(np.int64)


def _narrow(words: np.ndarray) -> np.ndarray:
    top = int(words.max()) if words.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return words.astype(dtype)
    return words


def _xor_successive(words: np.ndarray) -> np.ndarray:
    out = words.copy()
    out[1:] ^= words[:-1]
    return out


def _unxor_successive(words: np.ndarray) -> np.ndarray:
    return np.bitwise_xor.accumulate(words) if words.size else words


def _segment(
    kind: int, body: bytes, *, width: int = 0, scale: int = 0, base: int = 0, mask: bytes = b""
) -> bytes:
    flags = FLAG_NAN_MASK if mask else 0
    packed = zlib.compress(mask + body, ZLIB_LEVEL)
    return _SEGMENT.pack(kind, width, scale, flags, base, len(packed)) + packed


# -- encoding -----------------------------------------------------------------------------


def _encode_ints(values: np.ndarray) -> tuple[int, np.ndarray]:
    """(first value, narrowed zigzag deltas) of an int64 array."""
    if values.size == 0:
        return 0, np.empty(0, dtype=np.uint8)
    deltas = np.diff(values, prepend=values[:1])  # deltas[0] == 0; wraps like decode
    return int(values[0]), _narrow(_zigzag(deltas))


def _encode_times(times: np.ndarray) -> bytes:
    """Time stamps: deltas in units of their greatest common divisor (e.g. 1 ms or 1 s),
    so time stamps cost about what their resolution and jitter carry."""
    deltas = np.diff(times, prepend=times[:1])  # deltas[0] == 0; wraps like decode
    step = int(np.gcd.reduce(deltas)) if deltas.size else 1
    if step <= 0 or (deltas % step).any():  # no common step (or wrapped extremes)
        step = 1
    words = _narrow(_zigzag(deltas // step))
    body = struct.pack("<q", step) + _shuffle(words)
    base = int(times[0]) if times.size else 0
    return _segment(KIND_INT_DELTA, body, width=words.itemsize, base=base)


def _decimal_scale(valid: np.ndarray) -> tuple[int, np.ndarray] | None:
    """The smallest k with valid == ints / 10**k bit-exactly (as decode computes it)."""
    if valid.size and not np.isfinite(valid).all():
        return None
    for scale in range(MAX_DECIMAL_SCALE + 1):
        factor = 10.0**scale
        scaled = np.round(valid * factor)
        if scaled.size and float(np.abs(scaled).max()) >= _EXACT_INT:
            return None
        ints = scaled.astype(np.int64)
        if np.array_equal((ints.astype(np.float64) / factor).view(np.int64), valid.view(np.int64)):
            return scale, ints
    return None


def _encode_channel(values: np.ndarray) -> bytes:
    nan = np.isnan(values)
    has_nan = bool(nan.any())
    canonical_nan = not has_nan or bool((values[nan].view(np.int64) == _CANONICAL_NAN).all())
    if canonical_nan:
        found = _decimal_scale(values[~nan] if has_nan else values)
        if found is not None:
            scale, valid_ints = found
            ints = np.zeros(values.shape[0], dtype=np.int64)
            if has_nan:
                # Hold the last valid value through gaps so the deltas stay small there.
                positions = np.flatnonzero(~nan)
                ints[positions] = valid_ints
                last = np.maximum.accumulate(np.where(~nan, np.arange(nan.size), 0))
                ints = ints[last]
                if positions.size:
                    ints[: positions[0]] = valid_ints[0]
            else:
                ints = valid_ints
            base, words = _encode_ints(ints)
            mask = np.packbits(nan).tobytes() if has_nan else b""
            return _segment(
                KIND_DECIMAL,
                _shuffle(words),
                width=words.itemsize,
                scale=scale,
                base=base,
                mask=mask,
            )
    with np.errstate(over="ignore", invalid="ignore"):
        as32 = values.astype(np.float32)
    if np.array_equal(as32.astype(np.float64).view(np.int64), values.view(np.int64)):
        words32 = _xor_successive(as32.view(np.uint32))
        return _segment(KIND_FLOAT32, _shuffle(words32), width=4)
    words64 = _xor_successive(values.view(np.uint64))
    return _segment(KIND_FLOAT64, _shuffle(words64), width=8)


def encode_chunk(times_ns: np.ndarray, columns: Sequence[np.ndarray]) -> bytes:
    """Encode time stamps (int64) and channel columns (float64, same length) exactly."""
    times = np.ascontiguousarray(times_ns, dtype=np.int64)
    n = int(times.shape[0])
    parts = [_HEADER.pack(MAGIC, VERSION, CODEC_ZLIB, n, len(columns))]
    parts.append(_encode_times(times))
    for column in columns:
        values = np.ascontiguousarray(column, dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"column of shape {values.shape} does not match {n} time stamps")
        parts.append(_encode_channel(values))
    return b"".join(parts)


# -- decoding -----------------------------------------------------------------------------


class _Reader:
    def __init__(self, payload: bytes) -> None:
        self.view = memoryview(payload)
        if len(payload) < _HEADER.size:
            raise ChunkFormatError(f"payload of {len(payload)} bytes is shorter than a header")
        magic, version, codec, n, n_channels = _HEADER.unpack_from(self.view, 0)
        if magic != MAGIC:
            raise ChunkFormatError(f"bad magic {magic!r}: not a telemetry chunk")
        if version != VERSION or codec != CODEC_ZLIB:
            raise ChunkFormatError(f"unsupported chunk version {version} / codec {codec}")
        self.n = int(n)
        self.n_channels = int(n_channels)
        self.offset = _HEADER.size

    def next_segment(self, *, decode: bool) -> np.ndarray | None:
        try:
            kind, width, scale, flags, base, length = _SEGMENT.unpack_from(self.view, self.offset)
        except struct.error as exc:
            raise ChunkFormatError(f"truncated chunk payload: {exc}") from None
        start = self.offset + _SEGMENT.size
        self.offset = start + length
        if self.offset > len(self.view):
            raise ChunkFormatError("truncated chunk payload: segment runs past the end")
        if not decode:
            return None
        body = zlib.decompress(self.view[start : self.offset])
        return _decode_segment(kind, width, scale, flags, base, body, self.n)


def _decode_segment(
    kind: int, width: int, scale: int, flags: int, base: int, body: bytes, n: int
) -> np.ndarray:
    mask_len = (n + 7) // 8 if flags & FLAG_NAN_MASK else 0
    words_bytes = memoryview(body)[mask_len:]
    if kind == KIND_INT_DELTA:
        (step,) = struct.unpack_from("<q", body, 0)
        deltas = _unzigzag(_unshuffle(words_bytes[8:], np.dtype(f"<u{width}"), n))
        return np.cumsum(deltas * np.int64(step), dtype=np.int64) + np.int64(base)
    if kind == KIND_DECIMAL:
        deltas = _unzigzag(_unshuffle(words_bytes, np.dtype(f"<u{width}"), n))
        ints = np.cumsum(deltas, dtype=np.int64) + np.int64(base)
        values = ints.astype(np.float64) / 10.0**scale
        if mask_len:
            nan = np.unpackbits(np.frombuffer(body, np.uint8, count=mask_len), count=n)
            values[nan.astype(bool)] = np.nan
        return values
    if kind == KIND_FLOAT32:
        words32 = _unxor_successive(_unshuffle(words_bytes, np.dtype("<u4"), n))
        return words32.view(np.float32).astype(np.float64)
    if kind == KIND_FLOAT64:
        return _unxor_successive(_unshuffle(words_bytes, np.dtype("<u8"), n)).view(np.float64)
    raise ChunkFormatError(f"unknown segment kind {kind}")


def decode_times(payload: bytes) -> np.ndarray:
    """Only the time stamps of a chunk (decompresses nothing else)."""
    reader = _Reader(payload)
    times = reader.next_segment(decode=True)
    assert times is not None
    return times


def decode_chunk(
    payload: bytes, names: Sequence[str], *, only: Iterable[str] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Time stamps and ``{name: values}`` of a chunk; ``only`` limits the channels decoded."""
    reader = _Reader(payload)
    if reader.n_channels != len(names):
        raise ChunkFormatError(
            f"payload holds {reader.n_channels} channels but the row names {len(names)}"
        )
    wanted = None if only is None else set(only)
    times = reader.next_segment(decode=True)
    assert times is not None
    columns: dict[str, np.ndarray] = {}
    for name in names:
        values = reader.next_segment(decode=wanted is None or name in wanted)
        if values is not None:
            columns[name] = values
    return times, columns
