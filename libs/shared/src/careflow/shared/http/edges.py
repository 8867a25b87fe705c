"""Request edges every API holds before a route sees the request.

- A body larger than the limit is refused with 413: a declared Content-Length
  at once, without reading; a streamed body as soon as it passes the limit, so
  no more than the limit is ever held.
- A JSON body nested deeper than the limit is refused with 422 (a parser would
  recurse once per level).
- Control characters other than tab, line feed and carriage return, and
  unpaired UTF-16 surrogates (PostgreSQL cannot store them: a 500), are
  refused with 422 in JSON strings, paths and query strings. They have no
  place in what a resident or professional types, and NUL makes PostgreSQL
  refuse the row.

JSON bodies are scanned as bytes, not parsed: the route parses them once. A
raw control character inside a JSON string is already invalid JSON, so the
scan looks for escapes (`\\u0000`, `\\b`, `\\f`, ...) whose backslash is not
itself escaped, and for DEL and C1 characters, which JSON allows unescaped.
Every backslash in JSON is inside a string and starts an escape, so blanking
out the escaped backslashes (`\\\\`) leaves only backslashes that escape.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote_to_bytes

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careflow.shared.http.problems import problem_response
from careflow.shared.settings import RequestLimits

_ESCAPED_BACKSLASH = b"\\\\"
# After escaped backslashes are blanked out, every backslash starts an escape.
_FORBIDDEN_ESCAPE = re.compile(
    rb"\\(?:[bf]"
    rb"|u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])"
    rb"|u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"  # a high surrogate alone
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\)u[dD][c-fC-F])"  # a low surrogate alone
)
# DEL and C1, which JSON allows unescaped, and raw surrogates (invalid UTF-8,
# but json.loads decodes bytes with surrogatepass).
_RAW_CONTROL = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xed[\xa0-\xbf]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]|\xed[\xa0-\xbf]")
_CONTROL_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_CONTROLS = "Control characters are not allowed."
_TOO_DEEP = "The JSON document is nested too deep."
_NOT_UTF8 = "The JSON document is not UTF-8 text."
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def has_forbidden_characters(body: bytes) -> bool:
    """Whether a JSON document's strings hold a control character or a lone surrogate."""
    if _RAW_CONTROL.search(body):
        return True
    if b"\\" not in body:
        return False
    # Blanked, not removed: `\\` between two surrogates must keep them apart.
    return _FORBIDDEN_ESCAPE.search(body.replace(_ESCAPED_BACKSLASH, b"__")) is not None


def deeper_than(body: bytes, limit: int) -> bool:
    """Whether a JSON document nests arrays and objects more than `limit` deep.

    Without a loop per byte: most documents open fewer brackets than the
    limit. Otherwise, with strings taken out, each pass removes the innermost
    pairs (all of height k at pass k); a run of r openings left after k passes
    proves a depth of at least k + r.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    for removed_levels in range(limit + 1):
        if _openings(limit + 1 - removed_levels).search(brackets):
            return True
        brackets, removed = _INNERMOST_PAIR.subn(b"", brackets)
        if not removed:
            return False
    return False


@functools.lru_cache(maxsize=64)
def _openings(run: int) -> re.Pattern[bytes]:
    return re.compile(rb"[\[{]{%d}" % run)


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return True
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _control_in_target(scope: Scope) -> str | None:
    """Which part of the request target holds a control character, if any."""
    if _CONTROL_TEXT.search(scope["path"]):
        return "path"
    query = scope.get("query_string", b"")
    if query and _CONTROL_BYTES.search(unquote_to_bytes(query) if b"%" in query else query):
        return "query"
    return None


def _invalid(detail: str, location: str, kind: str) -> JSONResponse:
    # The shape of a request validation error's problem, so clients handle one.
    errors = [{"loc": [location], "msg": detail, "type": kind}]
    return problem_response(422, detail=detail, extensions={"errors": errors})


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit mid-route."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is larger than this API accepts.")


class RequestEdges:
    """ASGI middleware holding the edges above for every HTTP request."""

    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self.app = app
        self.max_body = limits.max_body_bytes
        self.max_depth = limits.max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _control_in_target(scope)
        if where is not None:
            await _invalid(_CONTROLS, where, "control_character")(scope, receive, send)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await self._too_large(scope, receive, send)
            return
        if _is_json(scope):
            await self._json(scope, receive, send)
        else:
            await self.app(scope, self._counting(receive), send)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not _is_utf8(body):
            # RFC 8259 §8.1; the parser would fail on it with a bare 400.
            await _invalid(_NOT_UTF8, "body", "json_invalid")(scope, receive, send)
            return
        if has_forbidden_characters(body):
            await _invalid(_CONTROLS, "body", "control_character")(scope, receive, send)
            return
        if deeper_than(body, self.max_depth):
            await _invalid(_TOO_DEEP, "body", "json_depth")(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _counting(self, receive: Receive) -> Receive:
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_body:
                    raise BodyTooLarge
            return message

        return counted

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = problem_response(413, detail="The request body is larger than this API accepts.")
        await refusal(scope, receive, send)
