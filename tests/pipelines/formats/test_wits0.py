"""WITS Level 0: parser, encoder, frames → batch, and the TCP listener over 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.formats.files import FileFormatError
from pipelines.formats.units import UnitError
from pipelines.formats.wits0 import (
    Wits0Frame,
    Wits0Parser,
    encode_frame,
    frames_to_batch,
    read_wits0_file,
    serve_wits0,
)
from pipelines.telemetry import BatchError, TelemetryBatch, datetime_to_ns

T0 = datetime(2016, 9, 29, 0, 6, 28, tzinfo=UTC)
T0_NS = datetime_to_ns(T0)
S = 1_000_000_000

FRAME = (
    b"&&\r\n"
    b"0101F-9A\r\n"
    b"0105160929\r\n"
    b"0106000628\r\n"
    b"01083650.40\r\n"
    b"01142051.2\r\n"
    b"0121-9999\r\n"
    b"01300\r\n"
    b"0141 12.5\r\n"
    b"!!\r\n"
)


def fixed_clock(ns: int = 1_700_000_000 * S) -> int:
    return ns


def parser(**kwargs: Any) -> Wits0Parser:
    return Wits0Parser(clock=fixed_clock, **kwargs)


def test_a_frame_maps_items_to_channels_with_its_own_time_and_well() -> None:
    [frame] = parser().feed(FRAME)
    assert frame.well_id == "F-9A"
    assert frame.time_ns == T0_NS
    assert frame.values["DBTM"] == 3650.4 and frame.values["HKLA"] == 2051.2
    assert frame.values["MFIA"] == 0.0
    assert math.isnan(frame.values["SPPA"])  # -9999 null
    assert frame.values["WITS0141"] == 12.5  # unmapped item kept


def test_lf_line_ends_and_byte_by_byte_feeding() -> None:
    p = parser(well_id_default="RIG-1")
    data = FRAME.replace(b"\r\n", b"\n").replace(b"0101F-9A\n", b"")
    frames: list[Wits0Frame] = []
    for i in range(len(data)):
        frames += p.feed(data[i : i + 1])
        assert (frames == []) == (i < len(data) - 1)
    assert frames[0].well_id == "RIG-1" and frames[0].values["HKLA"] == 2051.2


def test_frames_split_across_feeds_and_several_per_feed() -> None:
    p = parser()
    stream = FRAME + FRAME.replace(b"0106000628", b"0106000629")
    assert p.feed(stream[:30]) == []
    frames = p.feed(stream[30:])
    assert [f.time_ns for f in frames] == [T0_NS, T0_NS + S]


def test_garbage_inside_a_frame_is_skipped_and_the_good_values_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = FRAME.replace(b"01142051.2\r\n", b"01142051.2\r\nhello\r\n0116abc\r\n01\r\n0118inf\r\n")
    with caplog.at_level(logging.WARNING, logger="pipelines.formats.wits0"):
        [frame] = parser(source="rig A").feed(b"noise before\r\n" + data)
    assert (
        frame.values["HKLA"] == 2051.2 and "WOBA" not in frame.values and "TQA" not in frame.values
    )
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 5 and all(m.startswith("WITS0 rig A:") for m in messages)
    assert any("'hello'" in m for m in messages) and any("'abc'" in m for m in messages)


def test_a_frame_without_valid_values_is_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    p = parser()
    with caplog.at_level(logging.WARNING, logger="pipelines.formats.wits0"):
        assert p.feed(b"&&\r\n0101X\r\n0121-9999\r\nzzz\r\n!!\r\n") == []
    assert p.dropped == 1 and "no valid values" in caplog.text


def test_a_missing_end_marker_closes_the_frame_at_the_next_start() -> None:
    p = parser()
    frames = p.feed(b"&&\r\n01142000\r\n&&\r\n01142001\r\n!!\r\n")
    assert [f.values["HKLA"] for f in frames] == [2000.0, 2001.0]
    p.feed(b"&&\r\n01142002\r\n")
    p.close()  # stream ends mid-frame: that frame is dropped
    assert p.dropped == 1 and not p.in_frame


def test_without_date_and_time_the_arrival_time_is_used() -> None:
    [frame] = parser().feed(b"&&\r\n01142000\r\n!!\r\n")
    assert frame.time_ns is None and frame.when_ns == fixed_clock()
    [bad] = parser().feed(b"&&\r\n0105161329\r\n0106000628\r\n01142000\r\n!!\r\n")  # month 13
    assert bad.time_ns is None


def test_unit_map_converts_to_internal_units() -> None:
    p = parser(units={"HKLA": "klbf", "SPPA": "psi"})
    [frame] = p.feed(b"&&\r\n0114100\r\n01213000\r\n0121-9999\r\n!!\r\n")
    assert frame.values["HKLA"] == pytest.approx(444.822161526)
    assert math.isnan(frame.values["SPPA"])  # the null is not converted
    with pytest.raises(UnitError):
        parser(units={"HKLA": "psi"})


def test_an_over_long_line_is_discarded() -> None:
    p = parser()
    frames = p.feed(b"&&\r\n0114" + b"9" * 5000)
    frames += p.feed(b"\r\n01142000\r\n!!\r\n")
    assert [f.values for f in frames] == [{"HKLA": 2000.0}]


def test_encode_then_parse_round_trip() -> None:
    values = {"HKLA": 651.3, "SPPA": 18000.0, "GASA": 0.00001, "TQA": math.nan, "WITS0141": 3.0}
    data = encode_frame(T0, values, "NO_15_9-F-9_A")
    assert data.startswith(b"&&\r\n0101NO_15_9-F-9_A\r\n0105160929\r\n0106000628\r\n")
    assert data.endswith(b"!!\r\n") and b"0118" not in data
    [frame] = parser().feed(data)
    assert frame.well_id == "NO_15_9-F-9_A" and frame.time_ns == T0_NS
    assert frame.values == {"HKLA": 651.3, "SPPA": 18000.0, "GASA": 0.00001, "WITS0141": 3.0}


@pytest.mark.parametrize(
    ("time", "values", "well"),
    [
        (datetime(2016, 9, 29), {"HKLA": 1.0}, None),  # noqa: DTZ001 - naive on purpose
        (T0, {"NOT_WITS": 1.0}, None),
        (T0, {"HKLA": 1.0}, "bad well\r\n"),
    ],
)
def test_encode_refuses_naive_times_unknown_channels_bad_wells(
    time: datetime, values: dict[str, float], well: str | None
) -> None:
    with pytest.raises(BatchError):
        encode_frame(time, values, well)


def test_frames_to_batch_sorts_and_keeps_the_last_of_duplicates() -> None:
    frames = [
        Wits0Frame("W", T0_NS + 2 * S, 0, {"HKLA": 3.0}),
        Wits0Frame("W", T0_NS, 0, {"HKLA": 1.0, "SPPA": 10.0}),
        Wits0Frame("W", T0_NS, 0, {"HKLA": 1.5}),  # same second: last wins for HKLA
        Wits0Frame("W", None, T0_NS + S, {"TQA": 7.0}),  # arrival time
    ]
    batch = frames_to_batch(frames)
    assert batch.times_ns.tolist() == [T0_NS, T0_NS + S, T0_NS + 2 * S]
    np.testing.assert_array_equal(batch.channels["HKLA"], [1.5, np.nan, 3.0])
    np.testing.assert_array_equal(batch.channels["SPPA"], [10.0, np.nan, np.nan])
    np.testing.assert_array_equal(batch.channels["TQA"], [np.nan, 7.0, np.nan])
    with pytest.raises(BatchError):
        frames_to_batch([])


# --- the TCP listener ------------------------------------------------------------------------


def frame_bytes(i: int, hookload: float, well: str | None) -> bytes:
    return encode_frame(
        datetime.fromtimestamp(T0.timestamp() + i, tz=UTC), {"HKLA": hookload}, well
    )


def test_listener_two_rigs_one_sending_garbage(caplog: pytest.LogCaptureFixture) -> None:
    received: list[tuple[str, TelemetryBatch]] = []
    peers: list[tuple[str, int]] = []
    all_flushed = asyncio.Event()  # both rigs' 10 samples passed on

    def samples() -> int:
        return sum(len(b) for _, b in received)

    async def on_batch(well: str, batch: TelemetryBatch) -> None:
        received.append((well, batch))
        if samples() >= 20:
            all_flushed.set()

    def well_for_peer(host: str, port: int) -> str | None:
        peers.append((host, port))
        return "RIG-B"  # rig A names itself with item 0101, which wins

    async def rig_a(port: int) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(10):
            data = frame_bytes(i, 600.0 + i, "RIG-A")
            if i == 3:  # garbage lines mid-frame
                data = data.replace(b"!!", b"\x00\xffgarbage\r\n9\r\n0114not-a-number\r\n!!")
            if i == 5:  # garbage between frames, then a frame of nulls only
                data = b"$$$ junk $$$\r\n&&\r\n0101RIG-A\r\n0114-9999\r\n!!\r\n" + data
            writer.write(data[:7])  # split every frame across writes
            await writer.drain()
            await asyncio.sleep(0.005)
            writer.write(data[7:])
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def rig_b(port: int) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(10):
            writer.write(frame_bytes(i, 700.0 + i, None).replace(b"\r\n", b"\n"))
            await writer.drain()
            await asyncio.sleep(0.005)
        writer.close()
        await writer.wait_closed()

    async def main() -> None:
        server = await serve_wits0(
            "127.0.0.1", 0, on_batch, flush_seconds=0.02, well_for_peer=well_for_peer
        )
        async with server:
            await asyncio.gather(rig_a(server.port), rig_b(server.port))
            await all_flushed.wait()

    with caplog.at_level(logging.WARNING, logger="pipelines.formats.wits0"):
        try:
            asyncio.run(asyncio.wait_for(main(), timeout=10))
        except TimeoutError:
            pytest.fail(f"{samples()} of the 20 samples sent were passed on within 10 s")

    assert len(peers) == 2
    assert {well for well, _ in received} == {"RIG-A", "RIG-B"}
    assert len(received) > 2  # flushed several times, a batch per well per flush
    for well, base in (("RIG-A", 600.0), ("RIG-B", 700.0)):
        batches = [b for w, b in received if w == well]
        times = np.concatenate([b.times_ns for b in batches])
        hookload = np.concatenate([b.channels["HKLA"] for b in batches])
        assert times.tolist() == [T0_NS + i * S for i in range(10)], well
        assert hookload.tolist() == [base + i for i in range(10)], well
        assert all(set(b.channels) == {"HKLA"} for b in batches)
    garbage = [r.getMessage() for r in caplog.records if "garbage" in r.getMessage()]
    assert garbage and all("WITS0 127.0.0.1:" in m for m in garbage)
    assert "no valid values" in caplog.text


def test_callback_errors_are_logged_and_do_not_stop_the_listener(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    called = [asyncio.Event(), asyncio.Event()]  # on_batch's first and second call

    def on_batch(well: str, batch: TelemetryBatch) -> None:  # a plain function works too
        calls.append(well)
        called[len(calls) - 1].set()
        if len(calls) == 1:
            raise RuntimeError("store is down")

    async def send(port: int, i: int) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(frame_bytes(i, 1.0, "W1"))
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> None:
        server = await serve_wits0("127.0.0.1", 0, on_batch, flush_seconds=0.02)
        async with server:
            await send(server.port, 0)
            await called[0].wait()
            await send(server.port, 1)  # after the failed call: the listener still serves
            await called[1].wait()

    with caplog.at_level(logging.ERROR, logger="pipelines.formats.wits0"):
        try:
            asyncio.run(asyncio.wait_for(main(), timeout=10))
        except TimeoutError:
            pytest.fail(f"on_batch was called {len(calls)} times of 2 within 10 s")
    assert calls == ["W1", "W1"] and "store is down" in caplog.text


# --- recorded streams (.wits files): strict, all or nothing ------------------------------


def recording(n: int = 4) -> bytes:
    from datetime import timedelta

    return b"".join(
        encode_frame(
            T0 + timedelta(seconds=5 * i),
            {"HKLA": 650.5 + i, "SPPA": 2000.0 + i, "RPMA": math.nan if i == 2 else 60.0},
            "RIG-7",
        )
        for i in range(n)
    )


def test_a_recorded_stream_file_reads_like_the_listener(tmp_path: Path) -> None:
    path = tmp_path / "rec.wits"
    path.write_bytes(recording() + b"&&\r\n0105160929\r\n01060100\r\n0114-9999\r\n!!\r\n")
    batch, info = read_wits0_file(path)
    assert info["well_id"] == "RIG-7" and info["frames"] == 4 and info["null_frames"] == 1
    assert batch.times_ns.tolist() == [T0_NS + 5 * i * S for i in range(4)]
    assert batch.channels["HKLA"].tolist() == [650.5, 651.5, 652.5, 653.5]
    assert np.isnan(batch.channels["RPMA"][2])
    converted, _ = read_wits0_file(path, units={"HKLA": "klbf"})
    assert converted.channels["HKLA"][0] == pytest.approx(650.5 * 4.4482216152605)


@pytest.mark.parametrize(
    ("replace", "by", "line", "needle"),
    [
        (b"0114651.5", b"0114abc", 13, "item 0114 (HKLA): 'abc' is not a number"),
        (b"0114651.5", b"zzzz", 13, "garbage line: 'zzzz'"),
        (b"0114651.5", b"0114inf", 13, "'inf' is not finite"),
        (b"0106000633", b"0106xx", 16, "bad date/time"),  # reported at the frame's !!
        (b"0101RIG-7\r\n0105160929\r\n0106000638", b"0101RIG-7", 21, "without its date"),
    ],
)
def test_a_recorded_stream_with_garbage_is_refused_naming_the_line(
    tmp_path: Path, replace: bytes, by: bytes, line: int, needle: str
) -> None:
    path = tmp_path / "bad.wits"
    path.write_bytes(recording().replace(replace, by, 1))
    with pytest.raises(FileFormatError) as exc:
        read_wits0_file(path)
    assert exc.value.where == f"line {line}" and needle in exc.value.reason, exc.value
    assert "skipped" not in exc.value.reason and "arrival" not in exc.value.reason


def test_a_recorded_stream_that_stops_inside_a_frame_or_mixes_wells_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cut.wits"
    path.write_bytes(recording()[: -len(b"!!\r\n")])
    with pytest.raises(FileFormatError, match="ends inside a frame"):
        read_wits0_file(path)
    path.write_bytes(recording()[:-10])  # cut inside the last value line
    with pytest.raises(FileFormatError, match="line 30: item 0120 \\(RPMA\\): '' is not a number"):
        read_wits0_file(path)
    path.write_bytes(recording() + encode_frame(T0, {"HKLA": 1.0}, "RIG-8"))
    with pytest.raises(FileFormatError, match=r"several wells \(RIG-7, RIG-8\)"):
        read_wits0_file(path)
    with pytest.raises(FileFormatError) as exc:
        read_wits0_file(tmp_path / "cut.wits", units={"HKLA": "zorks"})
    assert exc.value.where == "units.HKLA"
