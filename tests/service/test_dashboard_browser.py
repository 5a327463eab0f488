"""The dashboard in a real browser (Debian's headless Chromium) against the real server.

The server runs as a subprocess (``live_server``); telemetry is posted to it over HTTP as a
rig would, and the page is watched for what an operator would see: the fleet table, the
live alerts table fed by Server-Sent Events, and no resource from outside the server.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from factories import (
    CHUNK_S,
    ONSET_S,
    SIM_START,
    find_scenario,
    fmt_utc,
    make_batch,
    minute_now,
    post_batch,
    post_quiet_well,
)
from playwright.sync_api import Page, expect

from models.channels import ACCIDENT_TYPES
from pipelines.telemetry import TelemetryBatch, chunks, datetime_to_ns

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
JSON = {"content-type": "application/json"}
ALL_CHANNELS = ("DBTM", "DMEA", "BPOS", "HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA", "MFOA")


def open_dashboard(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    # The live stream is connected before anything is sent: what follows must arrive live.
    expect(page.locator("#conn")).to_have_text("live", timeout=10_000)


def test_the_fleet_view_lists_a_well_after_telemetry_is_posted_for_it(
    live_server: str, browser_page: Page
) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        ingest = post_quiet_well(client, "FLEET-A1", seed=3)
    assert ingest["stored"] == 120
    assert ingest["rig_state"], ingest

    browser_page.goto(live_server + "/")
    row = browser_page.locator('#wells tbody tr[data-well="FLEET-A1"]')
    expect(row).to_be_visible(timeout=10_000)
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("FLEET-A1")
    expect(cells.nth(1)).to_have_text(ingest["rig_state"].replace("_", " "))
    expect(cells.nth(2)).to_have_text(fmt_utc(ingest["last_sample_at"]))
    expect(cells.nth(3)).to_have_text(re.compile(r"^\d+ (s|min)$"))
    expect(browser_page.locator("#wells tbody tr.empty")).to_have_count(0)


def test_an_alert_appears_in_the_open_page_live_without_a_reload(
    live_server: str, browser_page: Page
) -> None:
    page = browser_page
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    scenario = find_scenario("RIG-ACC-1")
    well_id = scenario.well_id
    # Shift the well so that the batch raising the alert ends a minute ago: it looks live.
    start = minute_now() - timedelta(minutes=scenario.alert_chunk + 2)
    sim = scenario.well.to_batch()
    batch = TelemetryBatch(
        sim.times_ns + datetime_to_ns(start) - datetime_to_ns(SIM_START), sim.channels
    )

    with httpx.Client(base_url=live_server, timeout=30) as client:
        for i, quiet in enumerate(("RIG-QUIET-2", "RIG-QUIET-3")):
            post_quiet_well(client, quiet, seed=10 + i)
        open_dashboard(page, live_server)
        expect(page.locator('#wells tbody tr[data-well="RIG-QUIET-2"]')).to_be_visible()
        # The live server is shared by the session: other tests' alerts may be listed.
        this_well = page.locator("#alerts tbody tr[data-alert]").filter(has_text=well_id)
        expect(this_well).to_have_count(0)

        raised: list[int] = []
        sent = 0
        for part in chunks(batch, CHUNK_S):
            sent += 1
            raised = post_batch(client, well_id, part)["alerts"]
            if raised:
                break  # the alert is out: the open page must show it by itself
        assert raised, f"the server raised no alert for the simulated {scenario.type}"
        assert sent == scenario.alert_chunk + 1, "the server decided unlike the in-process replay"
        server_alerts = client.get("/api/v1/alerts", params={"well_id": well_id}).json()

    assert [a["id"] for a in server_alerts] == raised
    alert = server_alerts[0]
    assert alert["type"] == scenario.type
    onset = start + timedelta(seconds=ONSET_S)
    precursor = onset - (
        scenario.well.accidents[0].start - scenario.well.accidents[0].precursor_start
    )
    assert datetime.fromisoformat(alert["time"]) >= precursor

    row = page.locator(f'#alerts tbody tr[data-alert="{alert["id"]}"]')
    expect(row).to_be_visible(timeout=15_000)
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(fmt_utc(alert["time"]))
    expect(cells.nth(1)).to_have_text(well_id)
    expect(cells.nth(2)).to_have_text(scenario.type.replace("_", " "))
    assert cells.nth(2).inner_text().replace(" ", "_") in ACCIDENT_TYPES
    expect(cells.nth(3)).to_have_text(f"{alert['probability']:.2f}")
    expect(cells.nth(6)).to_have_text("open")
    # The fleet row counts the open alert, and the stream is still live.
    fleet_row = page.locator(f'#wells tbody tr[data-well="{well_id}"]')
    expect(fleet_row.locator(".badge")).to_contain_text(scenario.type.replace("_", " "))
    expect(page.locator("#conn")).to_have_text("live")
    assert navigations == [live_server + "/"], "the page was reloaded"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "fleet.png"), full_page=True, animations="disabled")


def series_pixels(page: Page, channel: str, rgb: tuple[int, int, int]) -> int:
    """Pixels of the plot area (below the legend) of the chart of ``channel`` in ``rgb``."""
    return page.evaluate(
        """([channel, rgb]) => {
          const canvas = document.querySelector(`canvas[data-channel="${channel}"]`);
          const top = Math.ceil(30 * (window.devicePixelRatio || 1));
          const {data} = canvas.getContext("2d").getImageData(
            0, top, canvas.width, canvas.height - top);
          let n = 0;
          for (let i = 0; i < data.length; i += 4)
            if (Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1])
                + Math.abs(data[i + 2] - rgb[2]) < 60 && data[i + 3] > 200) n++;
          return n;
        }""",
        [channel, list(rgb)],
    )


def test_a_channel_logged_at_every_other_sample_is_drawn_as_a_line(
    live_server: str, browser_page: Page
) -> None:
    # a pits log beside a drilling log: pit volume at half the times of the other channels
    batch = make_batch(minute_now() - timedelta(minutes=3), n=120, channels=(*ALL_CHANNELS, "TVA"))
    batch.channels["TVA"][1::2] = np.nan
    with httpx.Client(base_url=live_server, timeout=30) as client:
        post_batch(client, "PITS-B1", batch)
    browser_page.goto(f"{live_server}/#/wells/PITS-B1")
    expect(browser_page.locator("#well-view")).to_have_attribute(
        "data-loaded", "PITS-B1", timeout=10_000
    )
    # a line across the plot (it broke at every missing sample and drew nothing before)
    assert series_pixels(browser_page, "TVA", (0x58, 0xA6, 0xFF)) > 300


def test_the_page_loads_no_resource_from_outside_the_server(
    live_server: str, browser_page: Page
) -> None:
    urls: list[str] = []
    browser_page.on("request", lambda request: urls.append(request.url))
    open_dashboard(browser_page, live_server)
    expect(browser_page.locator("#model")).to_contain_text("model ")

    assert urls, "no request seen"
    outside = [u for u in urls if not u.startswith(live_server + "/")]
    assert outside == []
    paths = {u[len(live_server) :].split("?")[0] for u in urls}
    assert {"/", "/static/app.js", "/static/style.css", "/api/v1/stream"} <= paths


def stream_until_alerted(client: httpx.Client, well_id: str) -> dict:
    """Stream a simulated accident on ``well_id`` (a few minutes past its alert); the alert."""
    scenario = find_scenario(well_id)
    start = minute_now() - timedelta(minutes=scenario.alert_chunk + 5)
    sim = scenario.well.to_batch()
    shift = datetime_to_ns(start) - datetime_to_ns(SIM_START)
    for i, part in enumerate(chunks(TelemetryBatch(sim.times_ns + shift, sim.channels), CHUNK_S)):
        post_batch(client, well_id, part)
        if i > scenario.alert_chunk + 3:
            break
    alerts = client.get("/api/v1/alerts", params={"well_id": well_id}).json()
    assert alerts, f"no alert on {well_id}"
    return alerts[-1]


def db_count(page: Page, name: str) -> int:
    return int(page.locator("#analogue-db-count").get_attribute(f"data-{name}") or "-1")


def open_alert(page: Page, base_url: str, alert_id: int) -> None:
    page.goto(f"{base_url}/#/alerts/{alert_id}")
    expect(page.locator("#alert-view")).to_have_attribute(
        "data-loaded", str(alert_id), timeout=10_000
    )
    expect(page.locator("#analogue-db-count")).to_have_attribute(
        "data-total", re.compile(r"^\d+$"), timeout=10_000
    )


def wait_for_growth(page: Page, name: str, above: int) -> None:
    page.wait_for_function(
        "([name, above]) => Number(document.getElementById('analogue-db-count')"
        ".dataset[name]) > above",
        arg=[name, above],
        timeout=15_000,
    )


def test_confirming_and_dismissing_alerts_grows_the_analogue_database_on_the_page(
    live_server: str, browser_page: Page
) -> None:
    page = browser_page
    with httpx.Client(base_url=live_server, timeout=30) as client:
        confirmed = stream_until_alerted(client, "VERDICT-1")
        dismissed = stream_until_alerted(client, "VERDICT-2")

    open_alert(page, live_server, confirmed["id"])
    total, n_confirmed = db_count(page, "total"), db_count(page, "confirmed")
    assert total > 1000  # the bundled model's own windows
    expect(page.locator("#analogue-db-count")).to_have_text(
        re.compile(r"^Analogue database: \d+ windows \(\d+ from confirmed alerts, \d+ dismissed\)$")
    )
    page.fill("#alert-comment", "stuck, jarred free")
    page.click("#btn-confirm")
    expect(page.locator("#alert-status")).to_have_text("confirmed", timeout=10_000)
    wait_for_growth(page, "confirmed", n_confirmed)
    assert db_count(page, "total") > total
    expect(page.locator("#analogue-db-count")).to_contain_text(
        f"{db_count(page, 'confirmed')} from confirmed alerts"
    )

    open_alert(page, live_server, dismissed["id"])
    n_dismissed, total = db_count(page, "dismissed"), db_count(page, "total")
    page.fill("#alert-comment", "pump test, not an accident")
    page.click("#btn-dismiss")
    expect(page.locator("#alert-status")).to_have_text("dismissed", timeout=10_000)
    wait_for_growth(page, "dismissed", n_dismissed)
    assert db_count(page, "total") > total
    with httpx.Client(base_url=live_server) as client:
        sizes = client.get("/api/v1/analogues").json()
    assert sizes["dismissed"] == db_count(page, "dismissed")
    assert sizes["by_type"]["normal"]["dismissed"] == sizes["dismissed"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "verdicts.png"), full_page=True, animations="disabled")
