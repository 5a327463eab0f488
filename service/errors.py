"""One error shape for every 4xx: ``{"detail": "<field>: <reason>", "field", "reason"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipelines.telemetry import BatchError
from service.db.repo import Conflict, NotFound


class ApiError(Exception):
    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.status, self.field, self.reason = status, field, reason


def error_body(status: int, field: str, reason: str, **extra: object) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"detail": f"{field}: {reason}", "field": field, "reason": reason, **extra},
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_body(exc.status, exc.field, exc.reason)

    @app.exception_handler(BatchError)
    async def _batch_error(_: Request, exc: BatchError) -> JSONResponse:
        return error_body(exc.status, exc.field, exc.reason)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_body(404, "id", str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return error_body(409, "status" if exc.kind == "alert" else "id", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": "body"
                if err["type"] == "json_invalid"
                else ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
                "reason": err["msg"],
            }
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"field": "request", "reason": "invalid"}
        return error_body(422, first["field"], first["reason"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_body(exc.status_code, "request", str(exc.detail))
