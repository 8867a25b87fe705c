"""`careflow-token`: local signing keys and access tokens (see `signing`).

    careflow-token keys --dir var/keys [--alg RS256|ES256|EdDSA]
    careflow-token mint --keys var/keys --actor professional --sub u1 --org org-1 \\
        --unit unit-a --group nurses --role nurse --ttl 3600
    careflow-token mint --keys var/keys --actor resident --sub r1 --auth-level strong \\
        --guardian-of child-1:2015-04-01
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
)
from careflow.shared.auth.signing import (
    GENERATORS,
    generate_keypair,
    load_signing_key,
    mint_token,
)
from careflow.shared.settings import AuthSettings

# The library functions are re-exported: `mint_token` and `generate_keypair`
# are what tests and the local runtime import from here.
__all__ = ["generate_keypair", "load_signing_key", "main", "mint_token"]


def _principal(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Principal:
    if args.actor == "professional":
        if not (args.org and args.unit):
            parser.error("--actor professional needs --org and --unit")
        return ProfessionalPrincipal(
            subject=args.sub,
            organisation=args.org,
            unit=args.unit,
            groups=args.group,
            roles=args.role,
        )
    if args.actor == "resident":
        children = []
        for value in args.guardian_of:
            child_sub, _, birth_date = value.rpartition(":")
            children.append(Child(subject=child_sub, birth_date=birth_date))
        return ResidentPrincipal(subject=args.sub, auth_level=args.auth_level, guardian_of=children)
    return ServicePrincipal(subject=args.sub)


def _parser() -> argparse.ArgumentParser:
    defaults = AuthSettings()
    parser = argparse.ArgumentParser(prog="careflow-token", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="generate a signing key pair")
    keys.add_argument("--dir", type=Path, default=Path("var/keys"))
    keys.add_argument("--alg", choices=sorted(GENERATORS), default="RS256")
    mint = commands.add_parser("mint", help="print a signed access token")
    mint.add_argument("--keys", type=Path, default=Path("var/keys"))
    mint.add_argument("--kid", help="key to sign with (needed when the directory holds several)")
    mint.add_argument("--actor", choices=["professional", "resident", "service"], required=True)
    mint.add_argument("--sub", required=True)
    mint.add_argument("--org")
    mint.add_argument("--unit")
    mint.add_argument("--group", action="append", default=[])
    mint.add_argument("--role", action="append", default=[])
    mint.add_argument(
        "--auth-level", choices=[level.value for level in AuthLevel], default="strong"
    )
    mint.add_argument("--guardian-of", action="append", default=[], metavar="CHILD_SUB:YYYY-MM-DD")
    mint.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    mint.add_argument("--iss", default=defaults.issuer)
    mint.add_argument("--aud", default=defaults.audience)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `careflow-token` command line."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "keys":
        print(generate_keypair(args.dir, args.alg))
        return 0
    if args.ttl <= 0:
        parser.error("--ttl must be positive")
    try:
        principal = _principal(args, parser)
        kid, private_key = load_signing_key(args.keys, args.kid)
    except (ValidationError, ValueError, OSError) as exc:
        parser.error(str(exc))
    print(mint_token(private_key, kid, principal, issuer=args.iss, audience=args.aud, ttl=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
