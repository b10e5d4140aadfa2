"""An httpx transport that sends every request to a local `PageServer`, whatever its URL.

The sources build real-world URLs (https://scholar.google.com/..., https://api.openalex.org/...).
`LoopbackTransport` sends each of them over a real socket to the page server on 127.0.0.1 and
acts like a reverse proxy: the original host goes in `Host`, the original scheme in
`X-Forwarded-Proto`, and the query string is kept. Nothing ever leaves loopback.

The page server routes on the path alone, so the transport puts the host and the query into the
path it asks for (`route` computes it):

    https://scholar.google.com/citations?user=X&cstart=100
        -> /scholar.google.com/citations/user=X&cstart=100?user=X&cstart=100

that is `/HOST/PATH`, then `/QUERY` when there is a query, with the query exactly as sent (same
order, same percent-encoding) except for the `UNROUTED` parameters, which sign a request rather
than choose a page. The server records the whole original query (`RecordedRequest.query`), so
tests still see credentials; `asked` turns a recorded request back into the URL the client asked.
"""

from __future__ import annotations

import ssl

import httpx

from tracker.pageserver import PageServer, RecordedRequest

__all__ = ["UNROUTED", "LoopbackTransport", "asked", "route"]

UNROUTED = frozenset({"api_key", "mailto"})
"""Query parameters left out of the route: one route answers signed and unsigned requests."""

# The wrapped transport builds a TLS context it never uses (every request is plain http to
# loopback); one shared context saves loading the CA bundle per transport.
_TLS = ssl.create_default_context()


def route(url: str | httpx.URL) -> str:
    """The page server path that answers requests for `url`."""
    parsed = httpx.URL(url)
    path = parsed.raw_path.decode("ascii").partition("?")[0]
    query = _routed_query(parsed.query.decode("ascii"))
    where = f"/{parsed.netloc.decode('ascii')}{path}"
    return f"{where}/{query}" if query else where


def asked(request: RecordedRequest) -> str:
    """The URL the client asked for, rebuilt from what the page server recorded."""
    host = request.headers["host"]
    path = request.path.removeprefix(f"/{host}")
    if query := _routed_query(request.query):
        path = path.removesuffix(f"/{query}")
    scheme = request.headers["x-forwarded-proto"]
    return f"{scheme}://{host}{path}" + (f"?{request.query}" if request.query else "")


def _routed_query(query: str) -> str:
    """The query without the unrouted parameters, otherwise untouched."""
    kept = [part for part in query.split("&") if part and part.split("=")[0] not in UNROUTED]
    return "&".join(kept)


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request to `server` over a real socket, routed by host, path and query."""

    def __init__(self, server: PageServer) -> None:
        self._server = server
        self._transport = httpx.HTTPTransport(verify=_TLS)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        target = route(original)
        if original.query:
            target += f"?{original.query.decode('ascii')}"
        local = httpx.URL(self._server.base_url).copy_with(raw_path=target.encode("ascii"))
        assert local.host == "127.0.0.1", "the loopback transport only talks to loopback"
        headers = request.headers.copy()
        headers["Host"] = original.netloc.decode("ascii")
        headers["X-Forwarded-Proto"] = original.scheme
        forwarded = httpx.Request(
            request.method,
            local,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,  # the client's timeouts travel here
        )
        return self._transport.handle_request(forwarded)

    def close(self) -> None:
        self._transport.close()
