"""`careflow-local run`: the whole system on one machine (what `make run` starts).

    careflow-local run [--var var] [--no-services] [--pg-port 55432] [--kafka-port 19092]
                       [--smtp-port 1025] [--issuer-port 8090] [--http-base-port 8000]

Starts PostgreSQL (data kept in `<var>/postgres`), the Tansu broker, the
registry's topics, the local OpenID Connect issuer (`careflow.local.issuer`,
keys in `<var>/keys`), an SMTP sink and every service found under `services/`,
each verifying tokens by the issuer's discovery document and JWKS; prints
what runs where and waits. Each service gets its own database, migrated as
`<name>_owner` and used as `<name>` (as deployed: the service role may only
add and read audit rows). Ctrl-C or SIGTERM stops
everything in reverse order. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from careflow.local.issuer import DEFAULT_PORT, DEFAULT_URL, DEV_USERS, IssuerProcess, fetch_token
from careflow.local.ports import port_is_free
from careflow.local.postgres import EmbeddedPostgres
from careflow.local.smtp_sink import SmtpSink
from careflow.local.supervisor import (
    ServiceProcess,
    discover_services,
    gateway_env,
    service_env,
    stop_services,
    watch,
)
from careflow.local.tansu import TansuBroker
from careflow.shared.settings import BrokerSettings

HOST = "127.0.0.1"
TABLE_END = "Ctrl-C stops everything."


class StartupError(Exception):
    """Something the developer must fix before `make run` can start."""


def _interrupt(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    pending: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: pending.append(signum))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            raise KeyboardInterrupt


def _repo_root() -> Path:
    cwd = Path.cwd()
    for path in (cwd, *cwd.parents):
        if (path / "services").is_dir() and (path / "libs").is_dir():
            return path
    return cwd


_OPTION = {"PostgreSQL": "pg", "Tansu": "kafka", "SMTP sink": "smtp", "OIDC issuer": "issuer"}


def _check_ports(args: argparse.Namespace, var: Path) -> None:
    wanted = {
        "PostgreSQL": args.pg_port,
        "Tansu": args.kafka_port,
        "SMTP sink": args.smtp_port,
        "OIDC issuer": args.issuer_port,
    }
    for what, port in wanted.items():
        if not port_is_free(HOST, port):
            hint = f"; stop what listens there or pick another --{_OPTION[what]}-port"
            if what == "PostgreSQL" and (var / "postgres" / "postmaster.pid").exists():
                hint += f" ({var / 'postgres'} has a postmaster.pid: is a run on it still alive?)"
            raise StartupError(f"port {HOST}:{port} for {what} is in use{hint}")


def _start_services(
    services: list[ServiceProcess], pg: EmbeddedPostgres, broker: str, issuer: str, timeout: float
) -> dict[str, str]:
    for service in services:
        roles = pg.create_service_database(service.name)
        env = service_env(
            service,
            database_url=roles.service_url,
            migration_url=roles.owner_url,
            bootstrap_servers=broker,
            issuer_url=issuer,
        )
        if service.name == "gateway":
            env |= gateway_env(service, services)
        service.start(env)
        print(f"started {service.name} (pid {service.process.pid})", flush=True)  # type: ignore[union-attr]
    status: dict[str, str] = {}
    for service in services:
        problem = service.wait_healthy(timeout)
        status[service.name] = "healthy" if problem is None else f"FAILED: {problem}"
        if problem is not None:
            service.exit_reported = service.exit_code() is not None
            print(f"\n{service.name} {problem}; last lines of {service.log_path}:", flush=True)
            print(service.log_tail(), flush=True)
    return status


def _print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("component", "address", "data / log", "pid")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print()


def run(args: argparse.Namespace) -> int:
    var = args.var.resolve()
    _check_ports(args, var)
    with contextlib.ExitStack() as stack:
        try:
            _start_and_watch(args, var, stack)
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
        finally:
            # Further Ctrl-Cs must not cut the orderly stop (the ExitStack) short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("stopped", flush=True)
    return 0


def _start_and_watch(args: argparse.Namespace, var: Path, stack: contextlib.ExitStack) -> None:
    logs = var / "log"
    logs.mkdir(parents=True, exist_ok=True)
    pg = EmbeddedPostgres(var / "postgres", port=args.pg_port, host=HOST)
    tansu = TansuBroker(port=args.kafka_port, host=HOST, log_path=logs / "tansu.log")
    smtp = SmtpSink(var / "mail", port=args.smtp_port, host=HOST)
    services: list[ServiceProcess] = []
    # Each stop is registered before its start, so a failure or Ctrl-C
    # half-way still stops what already runs, in reverse order.
    stack.callback(pg.stop)
    print(f"starting PostgreSQL on {HOST}:{pg.port} (data {pg.data_dir})", flush=True)
    try:
        with _signals_deferred():  # an initdb killed half-way leaves an unusable data dir
            pg.init()
        pg.start()
    except subprocess.CalledProcessError as exc:
        raise StartupError(
            f"PostgreSQL did not start: {exc.stderr.decode(errors='replace').strip()}"
            f"; see {pg.data_dir / 'server.log'}"
        ) from exc
    stack.callback(tansu.stop)
    print(f"starting Tansu on {tansu.bootstrap_servers}", flush=True)
    tansu.start()
    from careflow.contracts.registry import TOPICS
    from careflow.shared.messaging.topics_cli import ensure_topics_retrying

    settings = BrokerSettings(bootstrap_servers=tansu.bootstrap_servers, idempotent_producer=False)
    created = asyncio.run(ensure_topics_retrying(settings, TOPICS, within=30))
    topics = sorted(name for spec in TOPICS for name in (spec.name, spec.dlq))
    print(f"topics ({len(created)} created): {', '.join(topics)}", flush=True)
    stack.callback(smtp.stop)
    smtp.start()
    issuer = IssuerProcess(
        var / "keys", host=HOST, port=args.issuer_port, log_path=logs / "issuer.log"
    )
    stack.callback(issuer.stop)
    print(f"starting the OpenID Connect issuer on {issuer.url}", flush=True)
    try:
        issuer.start()
    except RuntimeError as exc:  # it exited: its log says why
        raise StartupError(str(exc)) from None
    token = fetch_token(issuer.url, "dev-professional")
    rows = [
        ("PostgreSQL", f"{HOST}:{pg.port}", str(pg.data_dir), _postmaster_pid(pg)),
        ("Tansu (Kafka API)", tansu.bootstrap_servers, str(tansu.log_path), _tansu_pid(tansu)),
        ("SMTP sink", smtp.address, f"{smtp.directory}/*.eml", "-"),
        ("OIDC issuer", issuer.url, f"{var / 'keys'} / {issuer.log_path}", _issuer_pid(issuer)),
    ]
    if args.no_services:
        rows.append(("services", "-", "skipped (--no-services)", "-"))
    else:
        services = discover_services(args.services_dir, args.http_base_port, logs)
        stack.callback(stop_services, services)
        status = _start_services(services, pg, tansu.bootstrap_servers, issuer.url, args.timeout)
        rows += [
            (f"{s.name} [{status[s.name]}]", s.address, str(s.log_path), str(s.process.pid))  # type: ignore[union-attr]
            for s in services
        ]
        if not services:
            rows.append(("services", "-", f"none yet under {args.services_dir}", "-"))
    _print_table(rows)
    print(f"Professional token (admin, org-local/unit-local, 12 h):\n  export TOKEN={token}")
    print('  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:<port>/...')
    print(
        f"More tokens from the issuer's token endpoint (users: {', '.join(DEV_USERS)}, "
        "or resident-<anything>):\n"
        f"  curl -d grant_type=password -d username=dev-resident {issuer.url}/token\n"
        "  python -m careflow.local.issuer token dev-nurse"
        f"{'' if issuer.url == DEFAULT_URL else ' --url ' + issuer.url}\n"
        "Rotate the signing key (services pick the new key up without a restart):\n"
        "  python -m careflow.local.issuer rotate"
        f"{'' if issuer.url == DEFAULT_URL else ' --url ' + issuer.url}"
    )
    print(f"Mail sent to {smtp.address} lands in {smtp.directory}/")
    print(TABLE_END, flush=True)
    watch(services, tansu, args.poll_interval)


def _postmaster_pid(pg: EmbeddedPostgres) -> str:
    with contextlib.suppress(OSError, IndexError):
        return (pg.data_dir / "postmaster.pid").read_text().splitlines()[0].strip()
    return "?"


def _issuer_pid(issuer: IssuerProcess) -> str:
    return str(issuer.process.pid) if issuer.process is not None else "?"


def _tansu_pid(tansu: TansuBroker) -> str:
    process = getattr(tansu, "_process", None)
    return str(process.pid) if process is not None else "?"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careflow-local", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="start everything; Ctrl-C stops it")
    run_cmd.add_argument("--var", type=Path, default=Path("var"), help="data, logs, keys, mail")
    run_cmd.add_argument("--no-services", action="store_true", help="infrastructure only")
    run_cmd.add_argument("--pg-port", type=int, default=55432)
    run_cmd.add_argument("--kafka-port", type=int, default=19092)
    run_cmd.add_argument("--smtp-port", type=int, default=1025)
    run_cmd.add_argument("--issuer-port", type=int, default=DEFAULT_PORT)
    run_cmd.add_argument("--http-base-port", type=int, default=8000)
    run_cmd.add_argument("--services-dir", type=Path, default=None)
    run_cmd.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for /healthz")
    run_cmd.add_argument("--poll-interval", type=float, default=2.0, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `careflow-local` command line."""
    args = _parser().parse_args(argv)
    if args.services_dir is None:
        args.services_dir = _repo_root() / "services"
    # Also SIGINT: a shell starts background jobs with it ignored, and Python
    # then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        return run(args)
    except (StartupError, TimeoutError) as exc:
        # Whatever had started is stopped again by then.
        print(f"careflow-local: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
