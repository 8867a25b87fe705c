"""Queue views: the organisation's queue with filters, group queues, my tasks, closed queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from careflow.contracts.common import CaseKind, Language
from careflow.contracts.urgency import UrgencyClass
from careflow.workqueue.application import queries
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.model import DEFAULT_VIEW, Status
from careflow.workqueue.domain.ordering import MAX_PAGE, QueueQuery
from careflow.workqueue.entrypoints.api.deps import CurrentActor, Wiring
from careflow.workqueue.entrypoints.api.schemas import ItemOut, ItemPage

router = APIRouter(prefix="/queue", tags=["queue"])

ListedState = Literal["emergency", "free", "taken", "incomplete", "closed"]


class Filters:
    """Query parameters shared by every queue view (repeat a parameter for several values)."""

    def __init__(
        self,
        group: Annotated[list[str] | None, Query(max_length=50)] = None,
        form_kind: Annotated[list[CaseKind] | None, Query()] = None,
        urgency: Annotated[list[UrgencyClass] | None, Query()] = None,
        state: Annotated[list[ListedState] | None, Query()] = None,
        assignee: Annotated[
            str | None, Query(max_length=128, description="A professional id, or `me`.")
        ] = None,
        language: Annotated[list[Language] | None, Query()] = None,
        min_age_hours: Annotated[float | None, Query(ge=0, le=24 * 3650)] = None,
        max_age_hours: Annotated[float | None, Query(ge=0, le=24 * 3650)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> None:
        self.group, self.form_kind, self.urgency, self.state = group, form_kind, urgency, state
        self.assignee, self.language = assignee, language
        self.min_age_hours, self.max_age_hours = min_age_hours, max_age_hours
        self.limit, self.offset = limit, offset

    def query(
        self,
        actor: Actor,
        *,
        groups: set[str] | None = None,
        assignee: str | None = None,
        statuses: frozenset[Status] | None = None,
    ) -> QueueQuery:
        wanted = self.assignee
        if wanted == "me":
            wanted = actor.professional_id
        chosen = statuses or (
            frozenset(Status(s) for s in self.state) if self.state else DEFAULT_VIEW
        )
        return QueueQuery(
            organisation_id=actor.organisation_id,
            groups=frozenset(groups if groups is not None else self.group or ()),
            case_kinds=frozenset(self.form_kind or ()),
            urgencies=frozenset(self.urgency or ()),
            statuses=chosen,
            assignee=assignee or wanted,
            languages=frozenset(self.language or ()),
            min_age=_hours(self.min_age_hours),
            max_age=_hours(self.max_age_hours),
            limit=self.limit,
            offset=self.offset,
        )


def _hours(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(hours=value)


async def _page(wiring: Wiring, actor: Actor, query: QueueQuery) -> ItemPage:
    now = wiring.clock()
    page = await queries.list_queue(wiring.uow(), actor, query, now=now)
    return ItemPage(
        items=[ItemOut.of(i, now) for i in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("", response_model=ItemPage)
async def organisation_queue(
    wiring: Wiring, actor: CurrentActor, filters: Annotated[Filters, Depends()]
) -> ItemPage:
    """The organisation's work queue: urgency, then oldest first; filter by any field."""
    return await _page(wiring, actor, filters.query(actor))


@router.get("/groups/{group_id}", response_model=ItemPage)
async def group_queue(
    group_id: str,
    wiring: Wiring,
    actor: CurrentActor,
    filters: Annotated[Filters, Depends()],
) -> ItemPage:
    """A group's queue: free tasks, who is responsible for taken ones; P0 records on top."""
    return await _page(wiring, actor, filters.query(actor, groups={group_id}))


@router.get("/mine", response_model=ItemPage)
async def my_tasks(
    wiring: Wiring, actor: CurrentActor, filters: Annotated[Filters, Depends()]
) -> ItemPage:
    """The calling professional's own tasks (state=incomplete finds those waiting)."""
    return await _page(wiring, actor, filters.query(actor, assignee=actor.professional_id))


@router.get("/closed", response_model=ItemPage)
async def closed_queue(
    wiring: Wiring, actor: CurrentActor, filters: Annotated[Filters, Depends()]
) -> ItemPage:
    """The closed queue: closed cases, most recently closed first."""
    closed = frozenset({Status.CLOSED})
    return await _page(wiring, actor, filters.query(actor, statuses=closed))
