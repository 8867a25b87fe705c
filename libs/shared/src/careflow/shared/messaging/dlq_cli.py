"""`careflow-dlq`: list and replay dead letters.

    careflow-dlq list   --topic platform.probes.v1
    careflow-dlq replay --topic platform.probes.v1 [--event-id ID ...] [--all]

Prints ids, types, reason codes and offsets only: never message bodies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from careflow.contracts.registry import TOPICS
from careflow.shared.messaging.dlq_replay import read_dead_letters, replay


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careflow-dlq", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
    )
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
    letters = await read_dead_letters(args.bootstrap_servers, dlq)
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
    count = await replay(args.bootstrap_servers, chosen)
    print(f"replayed {count} message(s) from {dlq}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
