"""Settings the sender and consumers depend on."""

from __future__ import annotations

from careflow.notification.settings import Settings
from careflow.shared.settings import ConsumerSettings


def test_two_partition_workers_per_topic_unless_set_whatever_else_is_set(monkeypatch):
    assert Settings().consumer.max_workers == 2
    monkeypatch.setenv("NOTIFICATION_CONSUMER__BATCH_MAX_RECORDS", "50")
    consumer = Settings().consumer
    assert (consumer.max_workers, consumer.batch_max_records) == (2, 50)
    monkeypatch.setenv("NOTIFICATION_CONSUMER__MAX_WORKERS", "6")
    assert Settings().consumer.max_workers == 6


def test_the_platforms_consumer_settings_are_accepted_as_given():
    consumer = Settings(consumer=ConsumerSettings(retry_initial_seconds=0.05)).consumer
    assert (consumer.max_workers, consumer.retry_initial_seconds) == (2, 0.05)
    assert Settings(consumer=ConsumerSettings(max_workers=1)).consumer.max_workers == 1
