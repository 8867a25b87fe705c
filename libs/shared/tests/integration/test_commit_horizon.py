"""The topic keeper's word on offset commits (`TopicKeeper.commit_horizon`).

Offsets of records fetched before a check that found the broker whole may be committed;
none fetched before a failed check, a report of failure or a recovery ever may. Against a
broker of the test's own, stopped and started again without its state (memory storage).
"""

from __future__ import annotations

import asyncio
import math
import time

from careflow.contracts.registry import PLATFORM_PROBES
from careflow.local.tansu import TansuBroker
from careflow.shared.messaging.topics import TopicKeeper
from careflow.shared.settings import BrokerSettings
from careflow.shared.tasks import cancel_and_wait
from careflow.testing.probe_service import wait_until


async def test_a_clean_check_vouches_for_what_came_before_it_and_trouble_voids_it(
    own_broker: TansuBroker,
) -> None:
    keeper = TopicKeeper(
        BrokerSettings(bootstrap_servers=own_broker.bootstrap_servers),
        [PLATFORM_PROBES],
        interval=0.2,
    )
    assert keeper.commit_horizon() == (-math.inf, -math.inf)
    running = asyncio.create_task(keeper.run())
    try:
        applied = time.monotonic()
        await wait_until(lambda: keeper.commit_horizon()[0] > applied, within=20)

        keeper.report_failure()  # a client saw the broker fail
        vouched, disturbed = keeper.commit_horizon()
        assert disturbed > vouched
        # The next check recovers as if the broker lost its state: that one vouches for
        # nothing; a later clean one does, from its own start.
        await wait_until(lambda: keeper.commit_horizon()[0] > disturbed, within=20)

        own_broker.stop()  # memory storage: topics, offsets and groups are gone
        stopped = time.monotonic()
        await wait_until(lambda: keeper.commit_horizon()[1] > stopped, within=20)
        assert keeper.commit_horizon()[0] < stopped  # failed checks vouch for nothing
        own_broker.start()
        await wait_until(lambda: keeper.commit_horizon()[0] > stopped, within=60)
        vouched, disturbed = keeper.commit_horizon()
        assert vouched > disturbed > stopped  # the re-creation disturbed, a later check vouched
    finally:
        await cancel_and_wait(running)
