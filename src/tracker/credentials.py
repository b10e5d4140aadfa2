"""API keys and contact addresses, added to a request the way each API expects them.

Keys never reach the archive, the database, logs or error messages: the
fetcher redacts query strings in errors and the archive keeps unsigned URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, SecretStr


class Credentials(BaseModel):
    """Optional API credentials (TRACKER_API__*)."""

    model_config = ConfigDict(extra="forbid")

    openalex_api_key: SecretStr | None = None
    openalex_email: str | None = None  # OpenAlex's "polite pool": mailto=ADDRESS
    semantic_scholar_api_key: SecretStr | None = None


@dataclass(frozen=True)
class Authorisation:
    """What a request to a source's host carries: query parameters and headers."""

    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def sign(self, url: str) -> str:
        """`url` with the query parameters (the fetcher signs every request to the host)."""
        return _with_query(url, self.query)


def authorise(kind: str, credentials: Credentials) -> Authorisation:
    """How to request pages of a `kind` source."""
    if kind == "openalex":
        query = {}
        if credentials.openalex_api_key:
            query["api_key"] = credentials.openalex_api_key.get_secret_value()
        if credentials.openalex_email:
            query["mailto"] = credentials.openalex_email
        return Authorisation(query=query)
    if kind == "semantic_scholar" and credentials.semantic_scholar_api_key:
        key = credentials.semantic_scholar_api_key.get_secret_value()
        return Authorisation(headers={"x-api-key": key})
    return Authorisation()


CREDENTIAL_PARAMETERS = frozenset({"api_key", "mailto"})


def unsigned(url: str) -> str:
    """`url` without the query parameters `authorise` adds."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k not in CREDENTIAL_PARAMETERS]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept, safe=":*,")))


def secrets(credentials: Credentials) -> list[str]:
    """Every secret value, for scrubbing text that must never contain one."""
    values = (credentials.openalex_api_key, credentials.semantic_scholar_api_key)
    return [value.get_secret_value() for value in values if value]


def _with_query(url: str, extra: dict[str, str]) -> str:
    if not extra:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=urlencode([*query, *extra.items()], safe=":*,")))
