"""Typed records that parsers produce and every later stage consumes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from tracker.metrics import MetricValue as MetricValue


class Paper(BaseModel):
    """One paper as a profile page shows it."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="stable identity: arxiv:ID, doi:ID, url:PATH or title:NORMALISED")
    title: str
    authors: list[str] = Field(default_factory=list)
    authors_truncated: bool = False
    published: date | None = None
    year: int | None = None
    category: str | None = None
    venue: str | None = None
    has_code: bool = False
    code_url: str | None = None
    url: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    abstract: str | None = None
    citations: int | None = None


class ProfileRecord(BaseModel):
    """Everything one fetch of one profile page says, as typed data."""

    model_config = ConfigDict(frozen=True)

    source: str
    url: str | None = None
    fetched_at: datetime
    name: str
    affiliation: str | None = None
    interests: list[str] = Field(default_factory=list)
    email_domain: str | None = None
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    citations_per_year: dict[int, int] = Field(default_factory=dict)
    papers: list[Paper] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
