"""The chaos run's verdicts: what counts as lost, doubled, and within target."""

from __future__ import annotations

from collections import Counter

from careflow.local.chaos_tally import Observed, tally

ADDED = "careflow.queue_item.added.v1"
TAKEN = "careflow.queue_item.taken.v1"


def _healthy() -> Observed:
    seen = Observed()
    seen.accepted_cases = {"c1", "c2"}
    seen.accepted_takes = {"c1", "c2"}
    seen.accepted_goals = {"g1": "c1"}
    seen.stored_goals = {"g1": "c1"}
    seen.intake_cases = {"c1", "c2", "c3"}  # c3: created, but its answer was lost: not counted
    seen.queue_items = {"c1", "c2", "c3"}
    seen.queue_events = Counter({(ADDED, "c1"): 1, (ADDED, "c2"): 1, (TAKEN, "c1"): 1})
    seen.notifications = Counter({"c1": 1})
    seen.deliveries = {"d1": ("n1", "email", "sent"), "d2": ("n1", "sms", "sent")}
    seen.emails = Counter({"<d1@careflow.local>": 1})
    seen.sms = Counter({"d2": 1})
    return seen


def _row(seen: Observed, prefix: str):  # type: ignore[no-untyped-def]
    return next(r for r in tally(seen) if r.what.startswith(prefix))


def test_a_run_where_everything_arrived_once_meets_every_target():
    assert all(row.met for row in tally(_healthy()))


def test_an_accepted_case_missing_from_intake_or_the_queue_is_lost():
    seen = _healthy()
    seen.intake_cases.discard("c2")
    seen.queue_items.discard("c1")
    assert (_row(seen, "cases").lost, _row(seen, "cases").met) == (1, False)
    assert (_row(seen, "queue").lost, _row(seen, "queue").met) == (1, False)


def test_an_effect_applied_twice_in_the_queue_is_doubled():
    seen = _healthy()
    seen.queue_events[(TAKEN, "c1")] = 2
    assert (_row(seen, "queue").doubled, _row(seen, "queue").met) == (1, False)


def test_one_doubled_email_per_notification_crash_is_within_target_two_are_not():
    seen = _healthy()
    seen.emails["<d1@careflow.local>"] = 2
    seen.crashes["notification"] = 1
    assert (_row(seen, "emails").doubled, _row(seen, "emails").met) == (1, True)
    seen.emails["<d1@careflow.local>"] = 3
    assert _row(seen, "emails").met is False


def test_a_repeated_idempotency_key_is_absorbed_but_two_deliveries_of_one_sms_are_doubled():
    seen = _healthy()
    seen.sms["d2"] = 3  # the provider sends once
    assert _row(seen, "SMS").met is True
    seen.deliveries["d3"] = ("n1", "sms", "sent")
    seen.sms["d3"] = 1
    assert (_row(seen, "SMS").doubled, _row(seen, "SMS").met) == (1, False)


def test_a_delivery_not_sent_or_not_received_is_lost():
    seen = _healthy()
    seen.deliveries["d1"] = ("n1", "email", "retrying")
    assert _row(seen, "emails").met is False
    seen = _healthy()
    seen.emails.clear()
    assert (_row(seen, "emails").lost, _row(seen, "emails").met) == (1, False)


def test_a_goal_whose_case_got_no_notification_is_lost():
    seen = _healthy()
    seen.notifications.clear()
    assert (_row(seen, "notifications").lost, _row(seen, "notifications").met) == (1, False)


def test_an_accepted_case_message_missing_from_messaging_is_lost_and_owes_a_notification():
    seen = _healthy()
    seen.accepted_messages = {"m1": "c1"}
    assert (_row(seen, "case messages").lost, _row(seen, "case messages").met) == (1, False)
    # the goal's notification is there, the message's is not
    assert (_row(seen, "notifications").lost, _row(seen, "notifications").met) == (1, False)
    seen.stored_messages = {"m1": "c1"}
    seen.notifications["c1"] = 2
    assert all(row.met for row in tally(seen))


def test_more_notifications_than_goals_and_messages_are_doubled():
    seen = _healthy()
    seen.notifications["c1"] = 2
    assert (_row(seen, "notifications").doubled, _row(seen, "notifications").met) == (1, False)


def test_a_goal_or_message_stored_without_an_answer_may_be_notified_not_doubled():
    """A professional's request committed, and the process died before answering it:
    the client saw no 2xx, yet the resident's notification for it is no double."""
    seen = _healthy()
    seen.stored_goals["g2"] = "c1"  # answer lost with the service
    seen.stored_messages = {"m9": "c2"}  # answer lost with the service
    seen.notifications.update({"c1": 1, "c2": 1})  # c1: 2 now, c2: 1
    assert all(row.met for row in tally(seen))
    seen.notifications["c2"] += 1  # two for the one stored message
    assert (_row(seen, "notifications").doubled, _row(seen, "notifications").met) == (1, False)
