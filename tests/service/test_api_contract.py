"""The API contract, derived from the app's own OpenAPI document: every malformed request a
client can send (path parameters of the wrong type or shape, invalid query parameters,
malformed JSON bodies) is refused with a 4xx in the ``{detail, field, reason}`` shape,
naming the field, never a 5xx, and changes nothing. New endpoints are covered as they are
added: the cases are generated from ``app.openapi()``, not listed by hand.

Skipped: ``GET /api/v1/stream`` (Server-Sent Events, never ends). Nothing here starts a
long job: the retrain endpoint only gets invalid bodies."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest
from factories import CHUNK_S, SIM_START, Scenario, find_scenario, make_batch, minute_now
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from pipelines.telemetry import TelemetryBatch, chunks, datetime_to_ns
from service.app import create_app
from service.db.tables import metadata
from service.settings import Settings

SKIPPED = {("GET", "/api/v1/stream")}  # SSE: the response never ends
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
INT64_MAX = 2**63 - 1
NOT_JSON = b'{"this is": not JSON'
UNKNOWN_PROPERTY = "no_such_property"
WELL_ID = "CONTRACT-1"
ALERT_WELL_ID = "CONTRACT-SIM"
ID_NAMES = ("well_id", "accident_id", "alert_id")  # body properties naming a real resource


def _openapi() -> dict[str, Any]:
    """The document the cases are derived from (no lifespan: nothing is started)."""
    home = Path(tempfile.gettempdir()) / "drillwatch-contract-openapi"
    return create_app(Settings(home=home, DATABASE_URL=None)).openapi()  # type: ignore[call-arg]


DOC = _openapi()


# ------------------------------------------------------------------------- schema helpers


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` into ``components``."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = DOC["components"]["schemas"][name]
    return schema


def variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (``anyOf: [X, null]`` is X)."""
    schema = resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [resolve(s) for s in options if s.get("type") != "null"]


def types_of(schema: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for s in variants(schema):
        kind = s.get("type")
        if isinstance(kind, list):
            out |= {k for k in kind if k != "null"}
        elif kind is not None:
            out.add(kind)
    return out


def wrong_type(schema: dict[str, Any]) -> tuple[str, Any] | None:
    """A value of a type the schema does not allow, with its name."""
    kinds = types_of(schema)
    if not kinds:
        return None
    candidates: list[tuple[str, Any]] = [
        ("number", 12345),
        ("string", "not-a-value"),
        ("object", {"not": "expected"}),
        ("array", ["not", "expected"]),
    ]
    allowed = {
        "string": {"string"},
        "number": {"number"},
        "integer": {"number"},
        "boolean": set(),
        "array": {"array"},
        "object": {"object"},
    }
    taken = set().union(*(allowed.get(k, {k}) for k in kinds))
    if "integer" in kinds or "number" in kinds:
        taken.add("number")
    # the most telling mismatch first: a number for a string, a string for a number,
    # an object for an array, an array for an object
    preferred = {
        "string": "number",
        "integer": "string",
        "number": "string",
        "boolean": "object",
        "array": "object",
        "object": "array",
    }
    wanted = [preferred[k] for k in sorted(kinds) if k in preferred]
    for name in wanted + [c[0] for c in candidates]:
        if name not in taken:
            return f"{name} for {'/'.join(sorted(kinds))}", dict(candidates)[name]
    return None


def violations(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """Values that break the schema's constraints, each with a name."""
    out: list[tuple[str, Any]] = []
    for s in variants(schema):
        kind = s.get("type")
        if "maxLength" in s:
            out.append(("over maxLength", "x" * (int(s["maxLength"]) + 1)))
        if s.get("minLength", 0) > 0:
            out.append(("under minLength", ""))
        if kind in ("integer", "number"):
            step = 1 if kind == "integer" else 0.5
            if "minimum" in s:
                out.append(("below minimum", _num(kind, s["minimum"] - step)))
            if "maximum" in s:
                out.append(("above maximum", _num(kind, s["maximum"] + step)))
            if "exclusiveMinimum" in s:
                out.append(("at exclusiveMinimum", _num(kind, s["exclusiveMinimum"])))
            if "exclusiveMaximum" in s:
                out.append(("at exclusiveMaximum", _num(kind, s["exclusiveMaximum"])))
        if "enum" in s:
            out.append(("not in enum", "not-in-the-enum"))
        if "pattern" in s:
            for candidate in ("Not Valid!", "", "9" * 300, "a"):
                if re.search(s["pattern"], candidate) is None:
                    out.append(("against pattern", candidate))
                    break
        if kind == "string" and not ({"enum", "pattern", "format"} & set(s)):
            # PostgreSQL cannot store NUL: refused for every backend alike
            out.append(("with a NUL character", "a\x00b"))
        if kind == "object" and s.get("additionalProperties") is True:
            out.append(("with a NUL character inside", {"note": "a\x00b"}))
        if s.get("format") == "date-time":
            out.append(("not a date-time", "not-a-date"))
            out.append(("date-time without offset", "2024-03-01T06:00:00"))
            out.append(("date-time as Unix seconds", "1709272800"))
        if kind == "array" and s.get("minItems", 0) > 0:
            out.append(("under minItems", []))
        if kind == "array" and "maxItems" in s:
            out.append(("over maxItems", ["x"] * (int(s["maxItems"]) + 1)))
    return out


def _num(kind: str, value: float) -> int | float:
    return int(value) if kind == "integer" else float(value)


def example_of(media: dict[str, Any]) -> Any:
    """A valid body from the schema's examples (or the media type's example)."""
    if "example" in media:
        return media["example"]
    schema = resolve(media["schema"])
    return schema["examples"][0]


# ------------------------------------------------------------------------------- the cases


@dataclass
class Case:
    id: str
    method: str
    path: str  # the template, e.g. /api/v1/alerts/{alert_id}
    path_values: dict[str, str] = field(default_factory=dict)  # overrides of real ids
    query: dict[str, Any] = field(default_factory=dict)
    body: Callable[[Context], tuple[bytes, str]] | None = None  # (content, content-type)
    statuses: tuple[int, ...] = (422,)
    field: str | None = None  # the field the error must name (or a dotted path below it)

    def __str__(self) -> str:
        return self.id


@dataclass
class Context:
    """Real ids (one of each resource) and settings of the app under test."""

    ids: dict[str, str]
    max_body_bytes: int


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            verb = method.upper()
            if verb in ("GET", "POST", "PUT", "PATCH", "DELETE") and (verb, path) not in SKIPPED:
                yield verb, path, op


def with_placeholders(example: Any) -> Any:
    """The example with ``"{well_id}"`` where it names a resource: a real id when sent."""
    if not isinstance(example, dict):
        return example
    return {k: "{" + k + "}" if k in ID_NAMES else v for k, v in example.items()}


def json_body(value: Any) -> Callable[[Context], tuple[bytes, str]]:
    def make(ctx: Context) -> tuple[bytes, str]:
        content = orjson.dumps(value)
        for name in ID_NAMES:
            content = content.replace(f'"{{{name}}}"'.encode(), orjson.dumps(ctx.ids[name]))
        return content, "application/json"

    return make


def raw_body(content: bytes, content_type: str) -> Callable[[Context], tuple[bytes, str]]:
    return lambda ctx: (content, content_type)


def valid_body(op: dict[str, Any]) -> Callable[[Context], tuple[bytes, str]] | None:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return json_body(with_placeholders(example_of(content["application/json"])))
    for media_type, media in content.items():
        if "example" in media:
            return raw_body(str(media["example"]).encode(), media_type)
    return None


def path_cases() -> Iterator[Case]:
    for method, path, op in operations():
        for param in op.get("parameters", []):
            if param["in"] != "path":
                continue
            name, schema = param["name"], resolve(param["schema"])
            bad: list[tuple[str, str]] = []
            if schema.get("type") == "integer":
                bad += [
                    ("not an integer", "not-a-number"),
                    ("a fraction", "1.5"),
                    ("zero", "0"),
                    ("beyond int64", str(2**64)),
                    ("below int64", str(-(2**64))),
                    ("an integer with a suffix", "12abc"),
                ]
            else:
                pattern = schema.get("pattern")
                for candidate in ("bad id!*", "..", " x "):
                    if pattern is None or re.search(pattern, candidate) is None:
                        bad.append((f"with forbidden characters {candidate!r}", candidate))
                bad += [
                    ("very long", "x" * 2000),
                    ("with a NUL byte", "a\x00b"),
                    ("non-ASCII", "сква-1"),
                ]
            for what, value in bad:
                yield Case(
                    id=f"{method} {path} path.{name} {what}",
                    method=method,
                    path=path,
                    path_values={name: value},
                    body=valid_body(op),
                    statuses=(404, 422),
                )


def query_cases() -> Iterator[Case]:
    for method, path, op in operations():
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            name, schema = param["name"], param["schema"]
            kinds = types_of(schema)
            bad: list[tuple[str, Any]] = []
            if kinds & {"integer", "number"}:
                bad.append(("not a number", "not-a-number"))
                if not any("maximum" in s for s in variants(schema)):
                    bad.append(("beyond int64", str(2**64)))
            if "boolean" in kinds:
                bad.append(("not a boolean", "maybe"))
            bad += [(what, v) for what, v in violations(schema) if not isinstance(v, list)]
            for what, value in bad:
                yield Case(
                    id=f"{method} {path} query.{name} {what}",
                    method=method,
                    path=path,
                    query={name: value},
                    body=valid_body(op),
                    field=name,
                )


def property_values(
    schema: dict[str, Any], example: Any
) -> Iterator[tuple[str, str, Any]]:  # (dotted path below the property, what, value)
    """Malformed values of one property, and of the items / entries inside it."""
    wrong = wrong_type(schema)
    if wrong is not None:
        yield "", f"wrong type ({wrong[0]})", wrong[1]
    for what, value in violations(schema):
        yield "", what, value
    for s in variants(schema):
        if s.get("type") == "array" and "items" in s:
            sample = example if isinstance(example, list) and example else [None]
            for sub, what, value in property_values(s["items"], sample[0]):
                yield ".0" + sub, what, [value, *sample[1:]]
        extra = s.get("additionalProperties")
        if s.get("type") == "object" and isinstance(extra, dict):
            entries = example if isinstance(example, dict) and example else {"X": None}
            key = next(iter(entries))
            for sub, what, value in property_values(extra, entries[key]):
                yield f".{key}" + sub, what, {**entries, key: value}


def body_cases() -> Iterator[Case]:
    for method, path, op in operations():
        content = op.get("requestBody", {}).get("content", {})
        base = f"{method} {path} body"
        if "application/json" in content:
            media = content["application/json"]
            schema = resolve(media["schema"])
            example = with_placeholders(example_of(media))

            case = partial(_body_case, method, path)

            yield case(" not JSON", raw_body(NOT_JSON, "application/json"), (400, 422), "body")
            yield case(" a JSON array", json_body([example]), (422,), "body")
            yield case(" a JSON string", json_body("text"), (422,), "body")
            yield case(" empty", raw_body(b"", "application/json"), (400, 422), "body")
            yield case(" sent as text/plain", raw_body(orjson.dumps(example), "text/plain"),
                       (415, 422), None)  # fmt: skip
            yield case(" over the size limit", oversized(example), (413, 422), None)
            if schema.get("additionalProperties") is False:
                yield case(
                    f".{UNKNOWN_PROPERTY} unknown property",
                    json_body({**example, UNKNOWN_PROPERTY: 1}),
                    (422,),
                    UNKNOWN_PROPERTY,
                )
            for name in schema.get("required", []):
                rest = {k: v for k, v in example.items() if k != name}
                yield case(f".{name} missing", json_body(rest), (422,), name)
            for name, prop in schema.get("properties", {}).items():
                for sub, what, value in property_values(prop, example.get(name)):
                    yield case(
                        f".{name}{sub} {what}",
                        json_body({**example, name: value}),
                        (422,),
                        name,
                    )
        for media_type in content:
            if media_type == "application/json":
                continue
            yield Case(
                id=f"{base} ({media_type}) empty",
                method=method,
                path=path,
                body=raw_body(b"", media_type),
                field=None,
            )
            yield Case(
                id=f"{base} ({media_type}) binary garbage",
                method=method,
                path=path,
                body=raw_body(b"\x00\xff\xfe garbage \x81\n\x00", media_type),
                field=None,
            )
            yield Case(
                id=f"{base} ({media_type}) sent as JSON",
                method=method,
                path=path,
                body=json_body({"not": "csv"}),
                statuses=(415, 422),
                field=None,
            )


def _body_case(
    method: str, path: str, what: str, make: Any, statuses: tuple[int, ...], where: str | None
) -> Case:
    return Case(
        id=f"{method} {path} body{what}",
        method=method,
        path=path,
        body=make,
        statuses=statuses,
        field=where,
    )


def oversized(example: Any) -> Callable[[Context], tuple[bytes, str]]:
    def make(ctx: Context) -> tuple[bytes, str]:
        padding = "x" * (ctx.max_body_bytes + 1)
        return orjson.dumps({**example, UNKNOWN_PROPERTY: padding}), "application/json"

    return make


PATH_CASES = list(path_cases())
QUERY_CASES = list(query_cases())
BODY_CASES = list(body_cases())


# ------------------------------------------------------------------------------ fixtures


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """A simulated accident the bundled model alerts on (found once)."""
    return find_scenario(ALERT_WELL_ID)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The whole app on each backend, shared by the module (its requests change nothing)."""
    database_url = None
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_engine")
        _truncate_all(pg)
        database_url = pg.url.render_as_string(hide_password=False)
    home = tmp_path_factory.mktemp(f"contract-{request.param}") / "home"
    settings = Settings(home=home, DATABASE_URL=database_url)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        yield client


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def ctx(api: TestClient, scenario: Scenario) -> Context:
    """Real resources: a well with telemetry, an accident, an alert raised by the model."""
    _ok(api.post("/api/v1/wells", json={"id": WELL_ID, "name": "contract"}), 201)
    batch = make_batch(minute_now() - timedelta(minutes=5), n=120)
    _ok(api.post(f"/api/v1/wells/{WELL_ID}/telemetry", content=orjson.dumps(batch.to_json_dict())))
    accident = _ok(
        api.post(
            "/api/v1/accidents",
            json={
                "well_id": WELL_ID,
                "type": "stuck_pipe",
                "start": "2026-11-24T10:00:00Z",
                "end": "2026-11-24T10:30:00Z",
            },
        ),
        201,
    )
    # stream the simulated accident, shifted to now, until the model alerts
    start = minute_now() - timedelta(minutes=scenario.alert_chunk + 5)
    sim = scenario.well.to_batch()
    shift = datetime_to_ns(start) - datetime_to_ns(SIM_START)
    shifted = TelemetryBatch(sim.times_ns + shift, sim.channels)
    for i, part in enumerate(chunks(shifted, CHUNK_S)):
        url = f"/api/v1/wells/{ALERT_WELL_ID}/telemetry"
        _ok(api.post(url, content=orjson.dumps(part.to_json_dict())))
        if i >= scenario.alert_chunk:
            break
    alerts = _ok(api.get("/api/v1/alerts", params={"well_id": ALERT_WELL_ID}))
    assert alerts, "the simulated accident raised no alert"
    model_id = _ok(api.get("/ready"))["model_version"]
    ids = {
        "well_id": WELL_ID,
        "accident_id": str(accident["id"]),
        "alert_id": str(alerts[0]["id"]),
        "model_id": model_id,
        "job_id": "no-such-job",
    }
    return Context(ids=ids, max_body_bytes=api.app.state.settings.max_body_bytes)  # type: ignore[attr-defined]


VOLATILE = {"last_sample_age_s", "data_gap"}  # depend on the clock, not on the data


def snapshot(api: TestClient) -> dict[str, Any]:
    """What a malformed request must not change."""
    wells = [
        {k: v for k, v in w.items() if k not in VOLATILE} for w in _ok(api.get("/api/v1/wells"))
    ]
    return {
        "wells": wells,
        "accidents": _ok(api.get("/api/v1/accidents")),
        "alerts": _ok(api.get("/api/v1/alerts", params={"limit": 1000})),
        "models": _ok(api.get("/api/v1/models")),
        "jobs": _ok(api.get("/api/v1/jobs")),
    }


def send(api: TestClient, ctx: Context, case: Case) -> Any:
    values = {**ctx.ids, **case.path_values}
    url = re.sub(r"\{(\w+)\}", lambda m: _quote(values[m.group(1)]), case.path)
    content, content_type = case.body(ctx) if case.body else (None, None)
    headers = {"content-type": content_type} if content_type else {}
    return api.request(case.method, url, params=case.query, content=content, headers=headers)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def check_refused(response: Any, case: Case) -> dict[str, Any]:
    assert response.status_code < 500, f"{case}: {response.status_code} {response.text[:500]}"
    assert response.status_code in case.statuses, (
        f"{case}: {response.status_code} (expected {case.statuses}) {response.text[:500]}"
    )
    body = response.json()
    assert isinstance(body, dict), body
    for key in ("detail", "field", "reason"):
        assert isinstance(body.get(key), str) and body[key].strip(), f"{case}: no {key}: {body}"
    if case.field is not None:
        assert body["field"] == case.field or body["field"].startswith(
            (case.field + ".", case.field + "[")
        ), f"{case}: field {body['field']!r} does not name {case.field!r}: {body}"
    return body


def check_unchanged_by(api: TestClient, ctx: Context, case: Case) -> None:
    before = snapshot(api) if case.method in MUTATING else None
    check_refused(send(api, ctx, case), case)
    if before is not None:
        assert snapshot(api) == before, f"{case} changed stored data"


# --------------------------------------------------------------------------------- tests


def test_the_cases_come_from_the_openapi_document_the_app_serves(
    api: TestClient, ctx: Context
) -> None:
    served = _ok(api.get("/openapi.json"))
    assert served == orjson.loads(orjson.dumps(DOC))
    assert orjson.loads(orjson.dumps(api.app.openapi())) == served  # type: ignore[attr-defined]
    # every operation with a path parameter or a body has cases (query parameters have
    # cases when their schema constrains them: a free string filter cannot be malformed)
    covered = {(c.method, c.path) for c in PATH_CASES + BODY_CASES}
    malformable = {
        (method, path) for method, path, op in operations() if "{" in path or op.get("requestBody")
    }
    assert malformable, "the OpenAPI document lists no operation with a path parameter or body"
    assert not malformable - covered, (
        f"no malformed-request case for {sorted(malformable - covered)}"
    )
    # every placeholder has a real value
    for method, path, _ in operations():
        for name in re.findall(r"\{(\w+)\}", path):
            assert name in ctx.ids, f"{method} {path}: no real {name} for the cases"


@pytest.mark.parametrize("case", PATH_CASES, ids=str)
def test_a_malformed_path_parameter_is_a_4xx_with_a_reason(
    api: TestClient, ctx: Context, case: Case
) -> None:
    check_unchanged_by(api, ctx, case)


@pytest.mark.parametrize("case", QUERY_CASES, ids=str)
def test_an_invalid_query_parameter_is_a_422_naming_it(
    api: TestClient, ctx: Context, case: Case
) -> None:
    check_unchanged_by(api, ctx, case)


@pytest.mark.parametrize("case", BODY_CASES, ids=str)
def test_a_malformed_body_is_a_4xx_naming_the_field_and_changes_nothing(
    api: TestClient, ctx: Context, case: Case
) -> None:
    check_unchanged_by(api, ctx, case)


def test_the_real_resources_are_readable(api: TestClient, ctx: Context) -> None:
    """The cases above fail for their malformation, not for a missing resource."""
    _ok(api.get(f"/api/v1/wells/{ctx.ids['well_id']}"))
    _ok(api.get(f"/api/v1/accidents/{ctx.ids['accident_id']}"))
    _ok(api.get(f"/api/v1/alerts/{ctx.ids['alert_id']}"))
    assert _ok(api.get(f"/api/v1/wells/{ctx.ids['well_id']}/telemetry"))["time"]
