"""DuckDB storage: profiles, runs, fetches, metric observations, papers and changes.

The pydantic rows (`Profile`, `FetchOutcome`) load on first use, so `tracker history`
reads the store without pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.store.database import Store
from tracker.store.statuses import FetchStatus, RunStatus

if TYPE_CHECKING:
    from tracker.store.models import FetchOutcome, Profile

__all__ = ["FetchOutcome", "FetchStatus", "Profile", "RunStatus", "Store"]


def __getattr__(name: str) -> Any:
    if name in {"FetchOutcome", "Profile"}:
        from tracker.store import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
