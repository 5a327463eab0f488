import math

import numpy as np
import pytest

from pipelines.telemetry import (
    BatchError,
    TelemetryBatch,
    decode_json,
    parse_batch,
    validate_well_id,
)


def parse(body: bytes) -> TelemetryBatch:
    return parse_batch(decode_json(body), max_samples=1000)


def test_times_with_different_offsets_become_utc_instants() -> None:
    batch = parse(
        b'{"time": ["2026-01-01T00:00:00Z", "2026-01-01T01:00:01+01:00"],'
        b' "channels": {"HKLA": [1.0, 2.0]}}'
    )
    assert np.diff(batch.times_ns).tolist() == [1_000_000_000]
    assert batch.start.isoformat() == "2026-01-01T00:00:00+00:00"


def test_null_is_missing_and_stored_as_nan() -> None:
    batch = parse(b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"HKLA": [null]}}')
    assert math.isnan(batch.channels["HKLA"][0])


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        (b"{not json", "body", 400),
        (b"[]", "body", 422),
        (b'{"channels": {"A": [1]}}', "time", 422),
        (b'{"time": [], "channels": {"A": []}}', "time", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"]}', "channels", 422),
        (b'{"time": ["2026-01-01T00:00:00"], "channels": {"A": [1]}}', "time[0]", 422),
        (b'{"time": ["yesterday"], "channels": {"A": [1]}}', "time[0]", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [1, 2]}}', "channels.A", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [NaN]}}', "channels.A[0]", 422),
        (
            b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [Infinity]}}',
            "channels.A[0]",
            422,
        ),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [1e999]}}', "channels.A[0]", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": ["1"]}}', "channels.A[0]", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [true]}}', "channels.A[0]", 422),
        (b'{"time": ["2026-01-01T00:00:00Z"], "channels": {"A": [1]}, "x": 1}', "x", 422),
        (
            b'{"time": ["2026-01-01T00:00:01Z", "2026-01-01T00:00:00Z"],'
            b' "channels": {"A": [1, 2]}}',
            "time[1]",
            422,
        ),
        (
            b'{"time": ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00"],'
            b' "channels": {"A": [1, 2]}}',
            "time[1]",
            422,
        ),
    ],
)
def test_bad_batches_are_refused_naming_the_field(body: bytes, field: str, status: int) -> None:
    with pytest.raises(BatchError) as err:
        parse(body)
    assert err.value.field == field
    assert err.value.status == status
    assert err.value.reason


def test_a_batch_over_the_sample_limit_is_refused() -> None:
    times = ",".join(f'"2026-01-01T00:00:{i:02d}Z"' for i in range(3))
    body = f'{{"time": [{times}], "channels": {{"A": [1, 2, 3]}}}}'.encode()
    with pytest.raises(BatchError, match="over the limit"):
        parse_batch(decode_json(body), max_samples=2)


@pytest.mark.parametrize("well_id", ["", "a b", "../etc", "x" * 65, "-lead"])
def test_invalid_well_ids_are_refused(well_id: str) -> None:
    with pytest.raises(BatchError):
        validate_well_id(well_id)


def test_batch_survives_a_round_trip_through_json() -> None:
    batch = parse(
        b'{"time": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:01.5Z"],'
        b' "channels": {"A": [1.25, null], "B": [3, 4]}}'
    )
    again = parse_batch(batch.to_json_dict(), max_samples=10)
    assert again.times_ns.tolist() == batch.times_ns.tolist()
    np.testing.assert_array_equal(again.channels["A"], batch.channels["A"])
