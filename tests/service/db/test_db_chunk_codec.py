"""The chunk codec decodes exactly what was encoded, bit for bit, and compresses."""

from __future__ import annotations

import numpy as np
import pytest

from service.db import chunk_codec
from service.db.chunk_codec import ChunkFormatError, decode_chunk, decode_times, encode_chunk

N = 3600
RNG = np.random.default_rng(42)
TIMES = 1_700_000_000 * 10**9 + np.arange(N, dtype=np.int64) * 10**9


def _roundtrip(values: np.ndarray, times: np.ndarray = TIMES) -> np.ndarray:
    payload = encode_chunk(times, [values])
    decoded_times, columns = decode_chunk(payload, ["x"])
    np.testing.assert_array_equal(decoded_times, times)
    return columns["x"]


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


def _with_nans(values: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    out = values.copy()
    out[RNG.random(out.size) < fraction] = np.nan
    return out


WALK = 1200 + np.cumsum(RNG.normal(0, 0.5, N))
CASES = {
    "two decimals": np.round(WALK, 2),
    "two decimals with gaps": _with_nans(np.round(WALK, 2)),
    "leading and trailing gaps": np.concatenate(
        [np.full(5, np.nan), np.round(WALK[10:-10], 1), np.full(15, np.nan)]
    ),
    "integers": np.round(RNG.normal(120, 5, N)),
    "full precision": WALK,
    "full precision with gaps": _with_nans(WALK),
    "float32 values": RNG.normal(0, 1, N).astype(np.float32).astype(np.float64),
    "all missing": np.full(N, np.nan),
    "signed zeros and infinities": np.resize([0.0, -0.0, np.inf, -np.inf, 1.5], N),
    "negative and odd NaN payloads": np.resize(
        np.array([0x7FF8000000000001, -0x0008000000000000, 0x3FF0000000000000]).view(np.float64),
        N,
    ),
    "extremes": np.resize([1e308, -1e308, 5e-324, 2.0**53 + 2, -(2.0**60)], N),
}


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_channels_decode_bit_exact(values: np.ndarray) -> None:
    assert np.array_equal(_bits(_roundtrip(values)), _bits(values))


def test_irregular_and_extreme_time_stamps_decode_exactly() -> None:
    jitter = np.cumsum(RNG.integers(1, 15 * 10**9, N)).astype(np.int64)
    np.testing.assert_array_equal(decode_times(encode_chunk(jitter, [])), jitter)
    extremes = np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max], np.int64)
    np.testing.assert_array_equal(decode_times(encode_chunk(extremes, [])), extremes)


def test_empty_and_single_sample_chunks_decode() -> None:
    times, columns = decode_chunk(encode_chunk(np.empty(0, np.int64), [np.empty(0)]), ["a"])
    assert times.size == 0 and columns["a"].size == 0
    times, columns = decode_chunk(encode_chunk(np.array([7], np.int64), [np.array([2.5])]), ["a"])
    assert times.tolist() == [7] and columns["a"].tolist() == [2.5]


def test_decimal_telemetry_compresses_to_about_a_byte_per_value() -> None:
    columns = [np.round(1000 + np.cumsum(RNG.normal(0, 0.5, N)), 2) for _ in range(12)]
    payload = encode_chunk(TIMES, columns)
    assert len(payload) / (N * 12) < 1.5


def test_millisecond_time_stamps_cost_about_a_byte_each() -> None:
    jittered = TIMES + RNG.integers(-20, 21, N) * 1_000_000  # ±20 ms, ms resolution
    payload = encode_chunk(jittered, [])
    assert len(payload) < 1.5 * N
    np.testing.assert_array_equal(decode_times(payload), jittered)


def test_only_selected_channels_are_decoded() -> None:
    payload = encode_chunk(TIMES, [np.ones(N), np.zeros(N)])
    _, columns = decode_chunk(payload, ["a", "b"], only=["b"])
    assert list(columns) == ["b"]


def test_corrupt_or_foreign_payloads_are_refused() -> None:
    payload = encode_chunk(TIMES, [np.ones(N)])
    with pytest.raises(ChunkFormatError, match="magic"):
        decode_times(b"PK\x03\x04" + payload[4:])
    with pytest.raises(ChunkFormatError, match="truncated"):
        decode_chunk(payload[:-10], ["a"])
    with pytest.raises(ChunkFormatError, match="row names 2"):
        decode_chunk(payload, ["a", "b"])
    assert chunk_codec.VERSION == 1
