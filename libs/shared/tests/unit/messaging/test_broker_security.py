"""TLS and SASL/SCRAM from the broker settings reach every Kafka client the platform builds."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from careflow.shared.messaging import dlq_cli, dlq_replay, subscription, topics, topics_cli
from careflow.shared.messaging.kafka_client import connection_options
from careflow.shared.messaging.producer import create_producer
from careflow.shared.settings import (
    BrokerSettings,
    ConsumerSettings,
    ServiceSettings,
    platform_broker_settings,
)

PASSWORD = "scram-password-from-the-kafkauser-secret"


class _Refused(Exception):
    """Raised by the recording clients' start(): construction is what is tested."""


def _ca(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "careflow test cluster CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def secured(tmp_path: Path) -> BrokerSettings:
    return BrokerSettings(
        bootstrap_servers="careflow-kafka-bootstrap:9093",
        security_protocol="SASL_SSL",
        username="intake",
        password=PASSWORD,
        ssl_cafile=_ca(tmp_path / "ca.crt"),
    )


def _assert_secured(options: dict[str, Any]) -> None:
    assert options["bootstrap_servers"] == "careflow-kafka-bootstrap:9093"
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "intake"
    assert options["sasl_plain_password"] == PASSWORD
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    # The CA file was loaded: exactly the one test CA is trusted.
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("commonName", "careflow test cluster CA"),),)
    ]


async def test_the_producer_client_gets_tls_and_scram(secured: BrokerSettings) -> None:
    producer = create_producer(secured, client_id="intake-relay")
    client = producer.client
    _assert_secured(
        {
            "bootstrap_servers": client._bootstrap_servers,
            "security_protocol": client._security_protocol,
            "sasl_mechanism": client._sasl_mechanism,
            "sasl_plain_username": client._sasl_plain_username,
            "sasl_plain_password": client._sasl_plain_password,
            "ssl_context": client._ssl_context,
        }
    )


async def test_the_consumer_group_member_gets_tls_and_scram(
    secured: BrokerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict[str, Any]] = []

    class RecordingConsumer:
        def __init__(self, **kwargs: Any) -> None:
            built.append(kwargs)

        def subscribe(self, topics: list[str], listener: Any) -> None:
            pass

        async def start(self) -> None:
            raise _Refused

    monkeypatch.setattr(subscription, "AIOKafkaConsumer", RecordingConsumer)
    consumer = SimpleNamespace(
        settings=ConsumerSettings(), group="intake", topic=SimpleNamespace(name="x.v1")
    )
    member = subscription.Subscription(consumer, secured, client_id="intake")  # type: ignore[arg-type]
    with pytest.raises(_Refused):
        await member.start()
    (kwargs,) = built
    assert kwargs["group_id"] == "intake"
    _assert_secured(kwargs)


async def test_the_admin_client_gets_tls_and_scram(
    secured: BrokerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict[str, Any]] = []

    class RecordingAdmin:
        def __init__(self, **kwargs: Any) -> None:
            built.append(kwargs)

        async def start(self) -> None:
            raise _Refused

    monkeypatch.setattr(topics, "AIOKafkaAdminClient", RecordingAdmin)
    with pytest.raises(_Refused):
        await topics.ensure_topics(secured, [])
    (kwargs,) = built
    _assert_secured(kwargs)


def test_plaintext_passes_no_credentials_and_no_tls() -> None:
    options = connection_options(BrokerSettings(bootstrap_servers="kafka:9092"))
    assert options == {"bootstrap_servers": "kafka:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="password are required"):
        BrokerSettings(security_protocol="SASL_SSL", username="intake")


def test_a_ca_file_without_tls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="uses no TLS"):
        BrokerSettings(ssl_cafile=_ca(tmp_path / "ca.crt"))


def test_only_scram_mechanisms_are_accepted() -> None:
    with pytest.raises(ValidationError):
        BrokerSettings(
            security_protocol="SASL_SSL", sasl_mechanism="PLAIN", username="u", password="p"
        )


def test_broker_settings_come_from_the_environment_and_the_password_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Settings(ServiceSettings):
        model_config = ServiceSettings.model_config | {"env_prefix": "PROBE_"}

    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("PROBE_BROKER__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PROBE_BROKER__USERNAME", "intake")
    monkeypatch.setenv("PROBE_BROKER__PASSWORD_FILE", str(password))
    monkeypatch.setenv("PROBE_BROKER__SSL_CAFILE", str(_ca(tmp_path / "ca.crt")))
    broker = Settings().broker
    assert broker.security_protocol == "SASL_SSL"
    assert broker.password is not None
    assert broker.password.get_secret_value() == PASSWORD


def test_a_refused_password_is_not_quoted() -> None:
    with pytest.raises(ValidationError) as caught:
        BrokerSettings(security_protocol="SASL_SSL", sasl_mechanism="PLAIN", password=PASSWORD)
    assert PASSWORD not in str(caught.value)


def _platform_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("CAREFLOW_BROKER__BOOTSTRAP_SERVERS", "careflow-kafka-bootstrap:9093")
    monkeypatch.setenv("CAREFLOW_BROKER__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CAREFLOW_BROKER__USERNAME", "intake")
    monkeypatch.setenv("CAREFLOW_BROKER__PASSWORD_FILE", str(password))
    monkeypatch.setenv("CAREFLOW_BROKER__SSL_CAFILE", str(_ca(tmp_path / "ca.crt")))


def test_the_platform_commands_read_tls_and_scram_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _platform_env(monkeypatch, tmp_path)
    broker = platform_broker_settings(default_bootstrap="127.0.0.1:19092")
    _assert_secured(connection_options(broker))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "other:9093")
    assert platform_broker_settings(default_bootstrap="x:1").bootstrap_servers == "other:9093"


def test_without_settings_the_platform_commands_use_their_default_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("CAREFLOW_BROKER__BOOTSTRAP_SERVERS", raising=False)
    broker = platform_broker_settings(default_bootstrap="127.0.0.1:19092")
    assert connection_options(broker) == {
        "bootstrap_servers": "127.0.0.1:19092",
        "security_protocol": "PLAINTEXT",
    }


async def test_careflow_dlq_connects_with_tls_and_scram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _platform_env(monkeypatch, tmp_path)
    built: list[dict[str, Any]] = []

    class RecordingConsumer:
        def __init__(self, **kwargs: Any) -> None:
            built.append(kwargs)

        async def start(self) -> None:
            raise _Refused

    monkeypatch.setattr(dlq_replay, "AIOKafkaConsumer", RecordingConsumer)
    with pytest.raises(_Refused):
        await dlq_cli._main(dlq_cli._parser().parse_args(["list", "--topic", "x.v1"]))
    (kwargs,) = built
    _assert_secured(kwargs)


def test_the_topics_job_connects_with_tls_and_scram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _platform_env(monkeypatch, tmp_path)
    used: list[BrokerSettings] = []

    async def ensure(settings: BrokerSettings, specs: Any) -> list[str]:
        used.append(settings)
        return []

    monkeypatch.setattr(topics_cli, "ensure_topics_retrying", ensure)
    assert topics_cli.main() == 0
    (settings,) = used
    _assert_secured(connection_options(settings))
    assert settings.idempotent_producer is False
