"""The remote-centre workflow in a real browser: open a well with an alert and see its charts,
open the alert and see its evidence, confirm it, dismiss another, and check the models view.
Screenshots of each view are saved under docs/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from factories import CHUNK_S, SIM_START, find_scenario, minute_now, post_batch
from playwright.sync_api import Page, expect

from pipelines.telemetry import TelemetryBatch, chunks, datetime_to_ns

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def alerted_wells(live_server: str) -> dict[str, dict]:
    """Two wells streamed with the same simulated accident: well id -> its first alert."""
    out = {}
    for well_id in ("VIEW-1", "VIEW-2"):
        scenario = find_scenario(well_id)
        start = minute_now() - timedelta(minutes=scenario.alert_chunk + 5)
        sim = scenario.well.to_batch()
        shift = datetime_to_ns(start) - datetime_to_ns(SIM_START)
        batch = TelemetryBatch(sim.times_ns + shift, sim.channels)
        with httpx.Client(base_url=live_server, timeout=30) as client:
            for i, part in enumerate(chunks(batch, CHUNK_S)):
                post_batch(client, well_id, part)
                if i > scenario.alert_chunk + 3:
                    break
            alerts = client.get("/api/v1/alerts", params={"well_id": well_id}).json()
        assert alerts, f"no alert on {well_id}"
        out[well_id] = alerts[-1]
    return out


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True, animations="disabled")


def test_a_well_with_an_alert_shows_its_channels_and_the_alert_on_the_charts(
    live_server: str, browser_page: Page, alerted_wells: dict[str, dict]
) -> None:
    page = browser_page
    page.goto(f"{live_server}/#/wells/VIEW-1")
    expect(page.locator("#well-view")).to_be_visible()
    expect(page.locator("#well-view")).to_have_attribute("data-loaded", "VIEW-1", timeout=10_000)
    charts = page.locator("#well-charts canvas.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    channels = {charts.nth(i).get_attribute("data-channel") for i in range(charts.count())}
    assert {"HKLA", "TQA", "SPPA", "MFIA,MFOA"} <= channels
    # Something was drawn: the canvas is not blank.
    drawn = page.evaluate(
        """() => { const c = document.querySelector('#well-charts canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert drawn > 1000
    alert = alerted_wells["VIEW-1"]
    expect(page.locator(f'#well-alerts tr[data-alert="{alert["id"]}"]')).to_be_visible()
    expect(page.locator("#well-quality tbody tr")).not_to_have_count(0)  # notices or "none"
    shot(page, "well.png")


def test_an_alert_shows_its_evidence_and_confirming_it_records_the_verdict(
    live_server: str, browser_page: Page, alerted_wells: dict[str, dict]
) -> None:
    page = browser_page
    alert = alerted_wells["VIEW-1"]
    page.goto(f"{live_server}/#/alerts/{alert['id']}")
    expect(page.locator("#alert-view")).to_have_attribute(
        "data-loaded", str(alert["id"]), timeout=10_000
    )
    expect(page.locator("#alert-title")).to_contain_text(alert["type"].replace("_", " "))
    expect(page.locator("#alert-probs .prob")).to_have_count(len(alert["probabilities"]))
    assert page.locator("#alert-features tbody tr").count() >= 1
    # At least three past accidents with their wells and times.
    rows = page.locator("#analogue-table tbody tr")
    expect(rows.first).to_be_visible(timeout=10_000)
    assert rows.count() >= 3
    for i in range(3):
        cells = rows.nth(i).locator("td")
        assert cells.nth(0).inner_text().strip()  # well
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cells.nth(1).inner_text())
    # Channel overlays need the analogue wells' telemetry in this database; the bundled
    # model's analogues come from its training wells, which are not stored here.
    shot(page, "alert.png")

    page.fill("#who", "night-shift")
    page.fill("#alert-comment", "confirmed on the rig floor")
    page.click("#btn-confirm")
    expect(page.locator("#alert-status")).to_have_text("confirmed", timeout=10_000)
    audit = page.locator("#alert-audit tbody tr")
    expect(audit.last).to_contain_text("night-shift")
    expect(audit.last).to_contain_text("confirmed on the rig floor")
    with httpx.Client(base_url=live_server) as client:
        accidents = client.get("/api/v1/accidents", params={"well_id": "VIEW-1"}).json()
    assert [a["type"] for a in accidents] == [alert["type"]]


def test_dismissing_an_alert_needs_a_reason(
    live_server: str, browser_page: Page, alerted_wells: dict[str, dict]
) -> None:
    page = browser_page
    alert = alerted_wells["VIEW-2"]
    page.goto(f"{live_server}/#/alerts/{alert['id']}")
    expect(page.locator("#alert-view")).to_have_attribute(
        "data-loaded", str(alert["id"]), timeout=10_000
    )
    page.click("#btn-dismiss")
    expect(page.locator("#alert-message")).to_have_class("error")
    expect(page.locator("#alert-status")).to_have_text("open")
    page.fill("#alert-comment", "pump test, not a kick")
    page.click("#btn-dismiss")
    expect(page.locator("#alert-status")).to_have_text("dismissed", timeout=10_000)
    expect(page.locator("#alert-audit tbody tr").last).to_contain_text("pump test")


def test_the_models_view_lists_the_active_model(live_server: str, browser_page: Page) -> None:
    page = browser_page
    page.goto(f"{live_server}/#/models")
    row = page.locator("#models tbody tr.active")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("active")
    shot(page, "models.png")
