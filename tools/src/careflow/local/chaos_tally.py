"""What a chaos run counts, and whether that meets the targets: lost and doubled effects.

Pure: the run gathers what the clients were told (accepted = answered 2xx) and
what the services hold and sent; this module only compares them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class Observed:
    """Everything one run saw, by id; no personal data."""

    accepted_cases: set[str] = field(default_factory=set)
    accepted_takes: set[str] = field(default_factory=set)
    accepted_goals: dict[str, str] = field(default_factory=dict)  # goal id -> case id
    accepted_messages: dict[str, str] = field(default_factory=dict)  # message id -> case id
    # What the services hold, answered 2xx or not (a request can commit and its answer be
    # lost with the process that was sending it): id -> case id.
    stored_goals: dict[str, str] = field(default_factory=dict)  # goals intake holds
    stored_messages: dict[str, str] = field(default_factory=dict)  # messaging's messages
    intake_cases: set[str] = field(default_factory=set)
    queue_items: set[str] = field(default_factory=set)
    #: (event type, case id) -> rows in workqueue's outbox: one per effect applied
    queue_events: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: case id -> notifications notification recorded for it
    notifications: Counter[str] = field(default_factory=Counter)
    #: delivery id -> (notification id, channel, status)
    deliveries: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    emails: Counter[str] = field(default_factory=Counter)  # Message-ID -> copies received
    sms: Counter[str] = field(default_factory=Counter)  # Idempotency-Key -> requests
    crashes: Counter[str] = field(default_factory=Counter)  # service -> SIGKILLs


@dataclass(frozen=True)
class Row:
    what: str
    count: int
    lost: int
    doubled: int
    target: str
    met: bool


def email_id(message_id: str) -> str:
    """The delivery id in `<delivery id@host>`."""
    return message_id.strip().strip("<>").split("@", 1)[0]


def tally(seen: Observed) -> list[Row]:
    lost_cases = len(seen.accepted_cases - seen.intake_cases)
    lost_items = len(seen.accepted_cases - seen.queue_items)
    doubled_adds = _doubled(seen.queue_events, "careflow.queue_item.added.v1")
    doubled_takes = _doubled(seen.queue_events, "careflow.queue_item.taken.v1")
    # Each goal and each professional's message notifies the resident once: those the
    # client was told of are owed; those stored without an answer may be notified too.
    expected = Counter(seen.accepted_goals.values()) + Counter(seen.accepted_messages.values())
    allowed = Counter({**seen.accepted_goals, **seen.stored_goals}.values()) + Counter(
        {**seen.accepted_messages, **seen.stored_messages}.values()
    )
    lost_notifications = sum(max(0, n - seen.notifications[c]) for c, n in expected.items())
    doubled_notifications = sum(max(0, seen.notifications[c] - n) for c, n in allowed.items())
    lost_messages = len(seen.accepted_messages.keys() - seen.stored_messages.keys())

    emails = {d: n for d, (n, ch, _) in seen.deliveries.items() if ch == "email"}
    texts = {d: n for d, (n, ch, _) in seen.deliveries.items() if ch == "sms"}
    received = Counter({email_id(m): c for m, c in seen.emails.items()})
    lost_emails = sum(1 for d in emails if received[d] == 0)
    lost_sms = sum(1 for d in texts if seen.sms[d] == 0)
    doubled_emails = sum(c - 1 for c in received.values() if c > 1)
    # The provider drops a repeated Idempotency-Key: a resident gets two texts only
    # when one notification has two SMS deliveries, or a text was sent with no delivery.
    per_notification = Counter(texts.values())
    doubled_sms = sum(c - 1 for c in per_notification.values() if c > 1)
    doubled_sms += sum(1 for key in seen.sms if key not in texts)
    repeats = sum(c - 1 for c in seen.sms.values() if c > 1)
    notification_crashes = seen.crashes["notification"]

    return [
        Row(
            "cases (accepted 2xx)",
            len(seen.accepted_cases),
            lost_cases,
            0,
            "0 lost",
            not lost_cases,
        ),
        Row(
            "queue items",
            len(seen.queue_items & seen.accepted_cases),
            lost_items,
            doubled_adds + doubled_takes,
            "0 lost, 0 doubled",
            not lost_items and not doubled_adds and not doubled_takes,
        ),
        Row(
            "case messages (accepted 2xx)",
            len(seen.accepted_messages),
            lost_messages,
            0,
            "0 lost",
            not lost_messages,
        ),
        Row(
            "notifications (goal set, message)",
            sum(seen.notifications[c] for c in expected),
            lost_notifications,
            doubled_notifications,
            "0 lost, 0 doubled",
            not lost_notifications and not doubled_notifications,
        ),
        Row(
            "emails sent",
            sum(received.values()),
            lost_emails + _unsent(seen, "email"),
            doubled_emails,
            f"0 lost, <= {notification_crashes} doubled (1 per notification crash)",
            not lost_emails
            and not _unsent(seen, "email")
            and doubled_emails <= notification_crashes,
        ),
        Row(
            f"SMS sent ({repeats} repeats absorbed by Idempotency-Key)",
            len(seen.sms),
            lost_sms + _unsent(seen, "sms"),
            doubled_sms,
            "0 lost, 0 doubled",
            not lost_sms and not _unsent(seen, "sms") and not doubled_sms,
        ),
    ]


def _unsent(seen: Observed, channel: str) -> int:
    return sum(
        1 for _, ch, status in seen.deliveries.values() if ch == channel and status != "sent"
    )


def _doubled(events: Mapping[tuple[str, str], int], event_type: str) -> int:
    return sum(n - 1 for (kind, _), n in events.items() if kind == event_type and n > 1)


def render(rows: Iterable[Row], crashes: Mapping[str, int]) -> str:
    rows = list(rows)
    header = ("what", "count", "lost", "doubled", "target", "")
    body = [
        (r.what, str(r.count), str(r.lost), str(r.doubled), r.target, _verdict(r.met)) for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(6)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*line) for line in body]
    crashed = ", ".join(f"{name} x{n}" for name, n in sorted(crashes.items()))
    lines.append(f"faults injected: {crashed or 'none'}")
    lines.append(f"overall: {_verdict(all(r.met for r in rows))}")
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"
