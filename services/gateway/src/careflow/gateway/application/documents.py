"""The merged OpenAPI document: fetched from the services, rebuilt on refresh.

A service that cannot be reached keeps its last document (or is left out until it
answers); `missing` names those, so the refresh loop comes back sooner for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from careflow.gateway.application.ports import DocumentSource
from careflow.gateway.domain.api_document import merge
from careflow.gateway.domain.routing import Upstream

log = logging.getLogger(__name__)


@dataclass
class ApiDocument:
    upstreams: Sequence[Upstream]
    source: DocumentSource
    own: Callable[[], Mapping[str, Any]] = dict
    documents: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    merged: dict[str, Any] | None = None

    @property
    def missing(self) -> list[str]:
        return [u.name for u in self.upstreams if u.openapi_path and u.name not in self.documents]

    async def refresh(self) -> None:
        """Fetch every service's document at once and merge what there is."""
        wanted = [u for u in self.upstreams if u.openapi_path]
        fetched = await asyncio.gather(*(self.source.fetch(u) for u in wanted))
        for upstream, document in zip(wanted, fetched, strict=True):
            if document is not None:
                self.documents[upstream.name] = document
        if self.missing:
            log.warning("OpenAPI missing for: %s", ", ".join(self.missing))
        self.rebuild()

    def rebuild(self) -> None:
        by_name = {u.name: u for u in self.upstreams}
        self.merged = merge(
            self.own(), {n: (by_name[n].prefix, d) for n, d in self.documents.items()}
        )

    def current(self) -> dict[str, Any]:
        if self.merged is None:
            self.rebuild()
        assert self.merged is not None
        return self.merged
