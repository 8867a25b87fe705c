"""What a notification process runs in the background, as its settings say."""

from __future__ import annotations

from careflow.notification.bootstrap import build
from careflow.notification.entrypoints.worker.loops import background
from careflow.notification.settings import SenderSettings, Settings


def test_a_process_runs_the_listener_a_sender_per_channel_and_the_parking_sweeper() -> None:
    loops = background(build(Settings()))
    assert [loop.__name__ for loop in loops] == [
        "delivery_listener",
        "email_sender",
        "sms_sender",
        "parking_sweeper",
    ]


def test_a_process_with_the_senders_off_runs_no_background_loop() -> None:
    assert background(build(Settings(sender=SenderSettings(enabled=False)))) == []
