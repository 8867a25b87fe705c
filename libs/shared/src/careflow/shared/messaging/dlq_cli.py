"""`careflow-dlq`: list and replay dead letters.

    careflow-dlq list   --topic platform.probes.v1
    careflow-dlq replay --topic platform.probes.v1 [--event-id ID ...] [--all]

Prints ids, types, reason codes and offsets only: never message bodies. The
broker is `--bootstrap-servers`, else KAFKA_BOOTSTRAP_SERVERS, else
CAREFLOW_BROKER__BOOTSTRAP_SERVERS; TLS and SASL come from CAREFLOW_BROKER__*
(the password from CAREFLOW_BROKER__PASSWORD or ..._PASSWORD_FILE).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from careflow.contracts.registry import TOPICS
from careflow.shared.messaging.dlq_replay import read_dead_letters, replay
from careflow.shared.settings import platform_broker_settings

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careflow-dlq", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--topic", required=True, help="the original topic (not .dlq)")
        if name == "replay":
            which = cmd.add_mutually_exclusive_group(required=True)
            which.add_argument("--event-id", action="append", default=[])
            which.add_argument("--all", action="store_true")
    return parser


async def _main(args: argparse.Namespace) -> int:
    topic = TOPICS.get(args.topic) if args.topic in TOPICS else None
    dlq = topic.dlq if topic else args.topic + ".dlq"
    broker = platform_broker_settings(default_bootstrap=DEFAULT_BOOTSTRAP)
    if args.bootstrap_servers:
        broker = broker.model_copy(update={"bootstrap_servers": args.bootstrap_servers})
    letters = await read_dead_letters(broker, dlq)
    if args.command == "list":
        print(f"{'partition':>9} {'offset':>7} {'code':<18} {'event type':<36} event id / reason")
        for d in letters:
            print(
                f"{d.partition:>9} {d.offset:>7} {d.code:<18} {d.event_type or '-':<36} "
                f"{d.event_id or '-'}  {d.reason}"
            )
        print(f"{len(letters)} dead letter(s) on {dlq}")
        return 0
    chosen = letters if args.all else [d for d in letters if d.event_id in set(args.event_id)]
    missing = set(args.event_id) - {d.event_id for d in chosen}
    if missing:
        print(f"not on {dlq}: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    count = await replay(broker, chosen)
    print(f"replayed {count} message(s) from {dlq}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
