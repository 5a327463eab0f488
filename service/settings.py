"""One settings object for the whole process, read from the environment.

Every setting is ``DRILLWATCH_<NAME>`` except ``DATABASE_URL``. ``DRILLWATCH_HOME`` is the
one directory holding all state (SQLite file, model registry, logs), so two instances with
different homes can run side by side.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRILLWATCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Directory holding all state.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "DRILLWATCH_DATABASE_URL"),
        description="SQLAlchemy URL; default is SQLite at $DRILLWATCH_HOME/drillwatch.db.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=8 * 1024 * 1024, description="Largest ingest body.")
    max_batch_samples: int = Field(default=100_000, description="Most samples in one batch.")
    model_path: Path | None = Field(
        default=None, description="Model JSON to serve; default: active registry version."
    )
    stride_seconds: float | None = Field(
        default=None, description="Seconds of data between decisions; default: the model's."
    )
    alert_persistence_k: int = 3
    alert_persistence_n: int = 5
    alert_cooldown_seconds: float = 1800.0
    stale_after_seconds: float = Field(default=120.0, description="Data-gap warning after this.")
    demo_wells: int = Field(default=0, description="Simulated wells streamed in by `serve`.")
    demo_speed: float = Field(default=1.0, description="Demo fleet speed, x real time.")
    log_level: str = "INFO"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style and plain postgresql:// URLs use psycopg 3.
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.home / 'drillwatch.db').resolve()}"

    @property
    def registry_dir(self) -> Path:
        return self.home / "models"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def ensure_home(self) -> None:
        for path in (self.home, self.registry_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
