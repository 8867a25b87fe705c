"""The careflow-token CLI end to end: keys, mint, verify."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from careflow.shared.auth.claims import (
    AuthLevel,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
)
from careflow.shared.auth.mint import main
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier
from careflow.shared.settings import AuthSettings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def verifier_for(key_dir: Path) -> TokenVerifier:
    return TokenVerifier(AuthSettings(jwks_path=key_dir / "jwks.json"))


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_keys_then_mint_gives_a_token_the_verifier_accepts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, alg: str
) -> None:
    kid = run(capsys, "keys", "--dir", str(tmp_path), "--alg", alg)
    # Never a leading "-", which argparse would take for an option on `--kid`.
    assert kid.startswith(f"{alg.lower()}-")
    assert stat.S_IMODE((tmp_path / f"{kid}.private.pem").stat().st_mode) == 0o600
    token = run(
        capsys,
        "mint", "--keys", str(tmp_path), "--actor", "professional", "--sub", "u1",
        "--org", "org-1", "--unit", "unit-a", "--group", "nurses", "--group", "night",
        "--role", "nurse", "--ttl", "3600",
    )  # fmt: skip
    principal = verifier_for(tmp_path).verify(token)
    assert principal == ProfessionalPrincipal(
        subject="u1",
        organisation="org-1",
        unit="unit-a",
        groups=["nurses", "night"],
        roles=["nurse"],
    )


def test_minted_resident_keeps_level_and_children(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "keys", "--dir", str(tmp_path))
    token = run(
        capsys,
        "mint", "--keys", str(tmp_path), "--actor", "resident", "--sub", "r1",
        "--auth-level", "anonymous",
        "--guardian-of", "child-1:2015-04-01", "--guardian-of", "urn:child:2:2019-12-31",
    )  # fmt: skip
    principal = verifier_for(tmp_path).verify(token)
    assert isinstance(principal, ResidentPrincipal)
    assert principal.auth_level is AuthLevel.ANONYMOUS
    births = {child.subject: child.birth_date.isoformat() for child in principal.guardian_of}
    assert births == {"child-1": "2015-04-01", "urn:child:2": "2019-12-31"}


def test_minted_service_token_with_own_issuer_needs_that_issuer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "keys", "--dir", str(tmp_path))
    token = run(
        capsys,
        "mint", "--keys", str(tmp_path), "--actor", "service", "--sub", "lab-system",
        "--iss", "https://other-issuer", "--aud", "careflow",
    )  # fmt: skip
    with pytest.raises(AuthenticationError) as caught:
        verifier_for(tmp_path).verify(token)
    assert caught.value.reason is Reason.WRONG_ISSUER
    settings = AuthSettings(issuer="https://other-issuer", jwks_path=tmp_path / "jwks.json")
    assert TokenVerifier(settings).verify(token) == ServicePrincipal(subject="lab-system")


def test_second_key_joins_the_jwks_and_mint_then_needs_a_kid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = run(capsys, "keys", "--dir", str(tmp_path))
    second = run(capsys, "keys", "--dir", str(tmp_path), "--alg", "EdDSA")
    assert verifier_for(tmp_path).key_ids == {first, second}
    with pytest.raises(SystemExit) as exited:
        main(["mint", "--keys", str(tmp_path), "--actor", "service", "--sub", "s"])
    assert exited.value.code == 2
    capsys.readouterr()
    token = run(
        capsys, "mint", "--keys", str(tmp_path), "--kid", second, "--actor", "service", "--sub", "s"
    )
    assert verifier_for(tmp_path).verify(token) == ServicePrincipal(subject="s")


@pytest.mark.parametrize(
    "extra",
    [
        ["--actor", "professional", "--sub", "u1"],  # no --org/--unit
        ["--actor", "resident", "--sub", "r1", "--guardian-of", "child-1:not-a-date"],
        ["--actor", "service", "--sub", "s", "--ttl", "0"],
    ],
)
def test_mint_refuses_bad_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str]
) -> None:
    run(capsys, "keys", "--dir", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        main(["mint", "--keys", str(tmp_path), *extra])
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err
