"""The only place that builds messaging: runtime, units of work, clock, use cases.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers and loops to the service kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careflow.messaging.adapters.chat_repository import SqlChatSnapshots, SqlReadAudits
from careflow.messaging.adapters.chat_signals import Hub
from careflow.messaging.adapters.chat_unit_of_work import ChatPostUnitOfWork, ChatUnitOfWork
from careflow.messaging.adapters.unit_of_work import MessagingUnitOfWork
from careflow.messaging.application.case_messages import CaseMessages
from careflow.messaging.application.chat_delivery import ChatDeliveries, GroupedAudits
from careflow.messaging.domain.messages import SendLimit
from careflow.messaging.settings import Settings
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.service.runtime import ServiceRuntime

NAME = "messaging"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory (`uow()`), the clock,
    resident ids (token subject -> pseudonymous id) and the named use cases."""

    settings: Settings
    runtime: ServiceRuntime
    uow: Callable[[], MessagingUnitOfWork]
    resident_ids: ResidentIds
    case_messages: CaseMessages
    #: The chat half: its unit of work, this process's chat feeds (live delivery to its
    #: sockets) and the hub that hands them the nudges.
    chat_uow: Callable[[], ChatUnitOfWork]
    #: A chat message's write: driver statements only, no session.
    chat_post_uow: Callable[[], ChatPostUnitOfWork]
    chat_deliveries: ChatDeliveries
    chat_read_audits: GroupedAudits
    chat_hub: Hub
    clock: Callable[[], datetime] = field(default=utc_now)


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    runtime = ServiceRuntime(settings, NAME, migrations=MIGRATIONS)

    def uow() -> MessagingUnitOfWork:
        # The runtime's sessions exist once it has started; the factory reads them then.
        return runtime.unit_of_work(MessagingUnitOfWork)

    def chat_uow() -> ChatUnitOfWork:
        return runtime.unit_of_work(ChatUnitOfWork)

    limits = settings.send_limits
    deliveries = ChatDeliveries(
        SqlChatSnapshots(lambda: runtime.engine), read_slots=settings.chat.read_slots
    )
    return Container(
        settings=settings,
        runtime=runtime,
        uow=uow,
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        case_messages=CaseMessages(
            uow=uow,
            clock=clock,
            send_limit=SendLimit(limits.messages, timedelta(seconds=limits.window_seconds)),
        ),
        chat_uow=chat_uow,
        chat_post_uow=lambda: ChatPostUnitOfWork(lambda: runtime.engine),
        chat_deliveries=deliveries,
        chat_read_audits=GroupedAudits(
            SqlReadAudits(lambda: runtime.engine), deliveries.read_slots
        ),
        chat_hub=Hub(deliveries),
        clock=clock,
    )
