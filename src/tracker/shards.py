"""Splitting profiles between workers by a stable hash of their id."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tracker.errors import UserInputError

SHARD = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, 1-based as written: `2/3`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = SHARD.match(text.strip())
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise UserInputError(
                f"bad shard {text!r}", hint="write I/N with 1 <= I <= N, e.g. --shard 2/3"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def holds(self, profile_id: str) -> bool:
        digest = hashlib.sha256(profile_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
