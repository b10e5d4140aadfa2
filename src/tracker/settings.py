"""Settings from environment variables (TRACKER_*) and an optional TOML config file.

Where the files are (the prefix, the config file, the data directory and the database)
is defined in `tracker.locations`, which read commands use without loading this.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tracker import __version__
from tracker.credentials import Credentials
from tracker.locations import DEFAULT_DATA_DIR, ENV_PREFIX, config_file, db_path_of


class FetchSettings(BaseModel):
    """How pages are fetched."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = f"tracker/{__version__} (research profile tracker; polite daily fetches)"
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    total_timeout: float = Field(120.0, gt=0, description="wall-clock cap on one request")
    retries: int = Field(3, ge=0, le=10)
    backoff_base: float = Field(1.0, ge=0, description="seconds before the first retry")
    backoff_max: float = Field(60.0, ge=0)
    max_retry_after: float = Field(300.0, ge=0, description="longest Retry-After we wait for")
    max_body_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    allow_cross_host_redirects: bool = False
    politeness_delay: float = Field(1.0, ge=0, description="seconds between requests to one host")
    host_delays: dict[str, float] = Field(
        default_factory=lambda: {"scholar.google.": 8.0},
        description="a longer politeness delay for hosts containing the key",
    )

    def delay_for(self, host: str) -> float:
        """The politeness delay for `host`: the largest that applies."""
        matching = [delay for part, delay in self.host_delays.items() if part in host]
        return max([self.politeness_delay, *matching])


class Settings(BaseSettings):
    """All of tracker's settings; environment variables win over the config file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = DEFAULT_DATA_DIR
    db: Path | None = Field(None, description="the DuckDB file; default DATA_DIR/tracker.duckdb")
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    api: Credentials = Field(default_factory=Credentials)
    concurrency: int = Field(4, ge=1, le=64, description="profiles synced at once")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )

    @property
    def db_path(self) -> Path:
        return db_path_of(self.db, self.data_dir)

    @property
    def archive_dir(self) -> Path:
        """Raw pages live beside the database they belong to."""
        return self.db_path.parent / "archive"
