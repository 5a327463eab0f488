"""The active model's analogue database: how many windows it holds, shipped with the model
and added by verdicts (confirmed and dismissed alerts), in total and per type."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from service import verdicts
from service.deps import StreamDep

router = APIRouter(prefix="/api/v1/analogues", tags=["analogues"])

ANALOGUES_EXAMPLE: dict[str, Any] = {
    "model_version": "2026-11-20-a",
    "from_model": 4210,
    "confirmed": 38,
    "dismissed": 6,
    "total": 4254,
    "by_type": {
        "normal": {"from_model": 1500, "confirmed": 0, "dismissed": 6, "total": 1506},
        "stuck_pipe": {"from_model": 610, "confirmed": 38, "dismissed": 0, "total": 648},
    },
}


class TypeCounts(BaseModel):
    from_model: int
    confirmed: int
    dismissed: int
    total: int


class AnalogueDbOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ANALOGUES_EXAMPLE]})

    model_version: str = Field(description="the active model, whose database this is")
    from_model: int = Field(description="windows shipped with the model (its training wells)")
    confirmed: int = Field(description="windows added by confirmed alerts")
    dismissed: int = Field(description="normal windows added by dismissed alerts")
    total: int
    by_type: dict[str, TypeCounts] = Field(description="the same counts per type (or normal)")


@router.get(
    "",
    summary="Size of the active analogue database",
    description=(
        "Windows the live analogue search looks through: those shipped with the active "
        "model plus those added at run time by verdicts (kept in the database and reloaded "
        "on start and on every model swap for models with the same feature names). A model "
        "without an analogue database counts zero."
    ),
    response_model=AnalogueDbOut,
)
def get_analogue_db(stream: StreamDep) -> dict[str, Any]:
    return verdicts.counts(stream.model)
