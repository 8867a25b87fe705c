"""`careflow-contracts`: generate and check the JSON Schemas and the AsyncAPI document.

Usage: `careflow-contracts generate DIR [--allow-removal] [--allow-breaking]`
and `careflow-contracts check DIR`; `make contracts` generates contracts/schemas.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from careflow.contracts.artifacts import ContractsError, check, generate
from careflow.contracts.topics import TopicRegistry


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="careflow-contracts", description="CareFlow event contract files."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write the schemas and asyncapi.yaml into DIR")
    gen.add_argument("directory", metavar="DIR", type=Path)
    gen.add_argument(
        "--allow-removal",
        action="store_true",
        help="delete schemas of event types no longer declared (only if never published)",
    )
    gen.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite schemas with breaking changes (only if never published)",
    )
    chk = commands.add_parser("check", help="exit 1 if DIR differs from what the models generate")
    chk.add_argument("directory", metavar="DIR", type=Path)
    return parser


def main(argv: Sequence[str] | None = None, *, registry: TopicRegistry | None = None) -> int:
    """Run the command; `registry` defaults to careflow.contracts.registry.TOPICS."""
    args = _parser().parse_args(argv)
    if registry is None:
        from careflow.contracts.registry import TOPICS

        registry = TOPICS
    if args.command == "generate":
        try:
            result = generate(
                args.directory,
                registry,
                allow_removal=args.allow_removal,
                allow_breaking=args.allow_breaking,
            )
        except ContractsError as exc:
            print(f"careflow-contracts: {exc}", file=sys.stderr)
            return 1
        for name in result.written:
            print(f"wrote {args.directory / name}")
        for name in result.removed:
            print(f"removed {args.directory / name}")
        print(f"{len(result.unchanged)} file(s) unchanged")
        return 0

    findings = check(args.directory, registry)
    if not findings:
        print(f"{args.directory}: contracts up to date")
        return 0
    print(f"{args.directory} differs from what the contract models generate:", file=sys.stderr)
    for finding in findings:
        print(f"- {finding}", file=sys.stderr)
    print("Run `make contracts` and review the diff.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
