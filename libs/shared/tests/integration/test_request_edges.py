"""A service app refuses oversized bodies, deep JSON and control characters itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from careflow.shared.auth.claims import ServicePrincipal
from careflow.shared.auth.dependencies import Service
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.service.app import create_service_app
from careflow.shared.settings import AuthSettings, RequestLimits
from careflow.testing.probe_service import probe_runtime, settings_for

LIMIT = 64 * 1024
CHUNK = 8 * 1024


class Note(BaseModel):
    text: str
    tags: list[str] = []
    extra: dict[str, object] = {}


router = APIRouter()


@router.post("/notes", status_code=201)
async def add_note(note: Note, _caller: Service) -> Note:
    """Echoes the note it was given."""
    return note


@router.get("/notes/{note_id}")
async def read_note(note_id: str, _caller: Service, q: str = "") -> dict[str, str]:
    """Echoes the id and query it was given."""
    return {"id": note_id, "q": q}


@router.put("/attachments", status_code=204)
async def put_attachment(request: Request, _caller: Service) -> None:
    """Reads a raw body to its end."""
    async for _ in request.stream():
        pass


class Drawn:
    """A streamed body that counts what the server drew from it."""

    def __init__(self, total: int, *, first: bytes = b"") -> None:
        self.total, self.first, self.drawn = total, first, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.first:
            self.drawn += len(self.first)
            yield self.first
        while self.drawn < self.total:
            self.drawn += CHUNK
            yield b" " * CHUNK


@pytest.fixture(scope="module")
async def api(
    postgres, kafka, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    from careflow.testing.probe_service import prepare_database

    database = await postgres.create_database()
    await prepare_database(database)
    keys: Path = tmp_path_factory.mktemp("keys")
    kid, key = load_signing_key(keys, generate_keypair(keys))
    settings = settings_for(database, kafka.bootstrap_servers)
    settings.auth = AuthSettings(jwks_path=keys / "jwks.json")
    settings.request_limits = RequestLimits(max_body_bytes=LIMIT, max_json_depth=8)
    token = mint_token(
        key,
        kid,
        ServicePrincipal(subject="edges"),
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
    )
    app = create_service_app(probe_runtime(settings), routers=[router])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="http://probe",
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
    ):
        yield client


def _is_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


async def test_a_declared_fifty_megabyte_body_is_refused_before_it_is_read(api):
    body = Drawn(50 * 1024 * 1024)
    response = await api.post(
        "/notes",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(body.total)},
    )
    _is_problem(response, 413)
    assert body.drawn <= CHUNK


async def test_a_streamed_json_body_is_refused_once_it_passes_the_limit(api):
    body = Drawn(50 * 1024 * 1024, first=b'{"text": "')
    response = await api.post("/notes", content=body, headers={"Content-Type": "application/json"})
    _is_problem(response, 413)
    assert body.drawn <= LIMIT + CHUNK + len(body.first)


async def test_a_streamed_raw_body_is_refused_once_it_passes_the_limit(api):
    body = Drawn(50 * 1024 * 1024)
    response = await api.put(
        "/attachments", content=body, headers={"Content-Type": "application/octet-stream"}
    )
    _is_problem(response, 413)
    assert body.drawn <= LIMIT + CHUNK


async def test_a_body_within_the_limit_is_served(api):
    note = {"text": "x" * (LIMIT - 100)}
    assert (await api.post("/notes", json=note)).json() == {**note, "tags": [], "extra": {}}
    raw = await api.put("/attachments", content=b"y" * LIMIT)
    assert raw.status_code == 204


async def test_json_nested_past_the_limit_is_refused(api):
    nested: object = "deep"
    for _ in range(9):
        nested = {"a": nested}
    body = _is_problem(await api.post("/notes", json={"text": "t", "extra": nested}), 422)
    assert body["errors"] == [
        {"loc": ["body"], "msg": "The JSON document is nested too deep.", "type": "json_depth"}
    ]


async def test_json_nested_to_the_limit_is_served(api):
    nested: object = "deep"
    for _ in range(7):
        nested = {"a": nested}
    response = await api.post("/notes", json={"text": "t", "extra": nested})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        b'{"text": "nul \\u0000 byte"}',
        b'{"text": "bell \\u0007"}',
        b'{"text": "backspace \\b"}',
        b'{"text": "ok", "tags": ["form feed \\f"]}',
        b'{"text": "delete \x7f"}',
        b'{"text": "lone surrogate \\ud800"}',
    ],
)
async def test_control_characters_in_json_strings_are_refused(api, raw: bytes):
    response = await api.post("/notes", content=raw, headers={"Content-Type": "application/json"})
    body = _is_problem(response, 422)
    assert body["errors"] == [
        {"loc": ["body"], "msg": "Control characters are not allowed.", "type": "control_character"}
    ]


async def test_a_json_body_that_is_not_utf8_is_refused_as_invalid(api):
    raw = b'{"text": "caf\xe9"}'  # Latin-1
    response = await api.post("/notes", content=raw, headers={"Content-Type": "application/json"})
    body = _is_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]


async def test_line_breaks_tabs_and_escaped_backslashes_are_text(api):
    note = {"text": "line one\r\nline two\tend \\u0000 \\b", "tags": ["é😀"]}
    raw = json.dumps(note).encode()
    response = await api.post("/notes", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.json()["text"] == note["text"]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/notes/abc%00def", "path"),
        ("/notes/abc%0Adef", "path"),
        ("/notes/abc?q=x%00y", "query"),
        ("/notes/abc?q=%1B%5B31m", "query"),
        ("/notes/abc?q=%C2%85", "query"),
    ],
)
async def test_control_characters_in_the_path_or_query_are_refused(api, path: str, where: str):
    body = _is_problem(await api.get(path), 422)
    assert body["errors"][0]["loc"] == [where]  # type: ignore[index]


async def test_percent_encoded_text_in_the_path_and_query_is_served(api):
    response = await api.get("/notes/caf%C3%A9?q=a%20b%2Bc")
    assert response.json() == {"id": "café", "q": "a b+c"}
