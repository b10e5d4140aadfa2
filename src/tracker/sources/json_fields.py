"""What the JSON API sources share: typed, checked reads of API responses, and URL matching.

A field that is missing or null reads as None (or an empty list); a field of the wrong type
raises `LayoutChangedError`, because a typed API that changes a type has changed its layout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from tracker.errors import LayoutChangedError, ParseError
from tracker.records import MetricValue, Paper

_BOM = "\ufeff"


def looks_like_json_object(text: str) -> bool:
    """Whether `text` starts like a JSON object: the cheap first test of `recognises_content`."""
    return text.lstrip(_BOM + " \t\r\n").startswith("{")


def match_url(url: str, paths: Mapping[str, re.Pattern[str]]) -> re.Match[str] | None:
    """The match of the path pattern for the URL's host, for http(s) URLs on those hosts."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:  # e.g. a broken IPv6 host
        return None
    pattern = paths.get(host or "") if parts.scheme in ("http", "https") else None
    return pattern.fullmatch(parts.path) if pattern else None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


@dataclass(frozen=True)
class JsonObject:
    """One decoded JSON object; `where` names it in error messages."""

    data: dict[str, object]
    where: str

    @classmethod
    def load(cls, text: str, *, where: str) -> JsonObject:
        """The JSON object in `text`, or ParseError when `text` is no JSON object."""
        try:
            # NaN and Infinity would make a metric unequal to itself: reject them with the rest.
            value = json.loads(text.lstrip(_BOM), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"{where}: the body is not JSON ({exc})") from exc
        if not isinstance(value, dict):
            raise ParseError(f"{where}: the body is JSON but not an object")
        return cls(value, where)

    def has(self, key: str) -> bool:
        """Whether the field is there and not null."""
        return self.data.get(key) is not None

    def _get(self, key: str, kinds: tuple[type, ...], kind_name: str) -> object:
        value = self.data.get(key)
        if value is None or _is(value, kinds):
            return value
        raise LayoutChangedError(f"{self.where}: {key} is {_json_kind(value)}, not {kind_name}")

    def _missing(self, key: str) -> LayoutChangedError:
        return LayoutChangedError(f"{self.where}: {key} is missing")

    def text(self, key: str) -> str | None:
        value = self._get(key, (str,), "a string")
        return value if isinstance(value, str) else None

    def required_text(self, key: str) -> str:
        """A string field that must be there and not empty."""
        value = self.text(key)
        if value is None:
            raise self._missing(key)
        if not value.strip():
            raise LayoutChangedError(f"{self.where}: {key} is empty")
        return value

    def integer(self, key: str) -> int | None:
        value = self._get(key, (int,), "an integer")
        return value if isinstance(value, int) else None

    def required_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self._missing(key)
        return value

    def number(self, key: str) -> MetricValue | None:
        value = self._get(key, (int, float), "a number")
        return value if isinstance(value, int | float) else None

    def flag(self, key: str) -> bool | None:
        value = self._get(key, (bool,), "a boolean")
        return value if isinstance(value, bool) else None

    def iso_date(self, key: str) -> date | None:
        """A `YYYY-MM-DD` field as a date."""
        value = self.text(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise LayoutChangedError(f"{self.where}: {key} {value!r} is not a date") from None

    def child(self, key: str) -> JsonObject | None:
        value = self._get(key, (dict,), "an object")
        return JsonObject(value, f"{self.where}.{key}") if isinstance(value, dict) else None

    def children(self, key: str) -> list[JsonObject]:
        """A list of objects; missing or null reads as an empty list."""
        return [
            JsonObject(item, f"{self.where}.{key}[{index}]")
            for index, item in enumerate(self._items(key, (dict,), "an object"))
            if isinstance(item, dict)
        ]

    def texts(self, key: str) -> list[str]:
        """A list of strings; missing or null reads as an empty list."""
        return [item for item in self._items(key, (str,), "a string") if isinstance(item, str)]

    def _items(self, key: str, kinds: tuple[type, ...], kind_name: str) -> list[object]:
        items = self._get(key, (list,), "a list")
        if not isinstance(items, list):
            return []
        for index, item in enumerate(items):
            if not _is(item, kinds):
                raise LayoutChangedError(
                    f"{self.where}: {key}[{index}] is {_json_kind(item)}, not {kind_name}"
                )
        return items


def _is(value: object, kinds: tuple[type, ...]) -> bool:
    # bool is an int to Python, never a count to an API.
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


def _json_kind(value: object) -> str:
    """What JSON calls the type of a decoded value."""
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def first_of_each_key(papers: Iterable[Paper], warnings: list[str]) -> list[Paper]:
    """The papers without repeated keys (the store keeps one paper per key), noting each drop."""
    seen: set[str] = set()
    unique = []
    for paper in papers:
        if paper.key in seen:
            warnings.append(f"a second paper with the key {paper.key} was skipped")
        else:
            seen.add(paper.key)
            unique.append(paper)
    return unique
