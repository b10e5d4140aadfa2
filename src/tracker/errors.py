"""The errors tracker raises on purpose, each with a hint for the person who sees it.

TrackerError
 ├── UserInputError          a bad URL, an unknown profile id, a bad flag value
 ├── FetchError              the page could not be fetched (unreachable, timeout, HTTP error)
 │    └── BlockedError       the site answered with a CAPTCHA, a sign-in page or 429
 ├── ParseError              the body is not a page kind we recognise
 │    └── LayoutChangedError the page kind is known but the parsed record looks broken
 └── StorageError            the database cannot be opened or written
      └── StorageBusyError   another process holds the database
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error tracker raises on purpose."""

    hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """The message and its hint as the single line the CLI prints."""
        text = str(self)
        return f"{text} ({self.hint})" if self.hint else text


class UserInputError(TrackerError):
    hint = "see `tracker --help`"


class FetchError(TrackerError):
    hint = "check the URL and the network, then run the sync again"


class BlockedError(FetchError):
    hint = "the site refused us: slow down and try again later"


class ParseError(TrackerError):
    hint = "check the URL, or name the page kind with --source"


class LayoutChangedError(ParseError):
    hint = "the page layout changed or the page is blocked; the previous data is kept"


class StorageError(TrackerError):
    hint = "check that the data directory exists and is writable"


class StorageBusyError(StorageError):
    hint = "another tracker process is using the database; wait for it to finish and retry"
