"""deploy/keycloak/careflow-realm.json: Keycloak's access tokens carry exactly the
claims careflow.shared.auth.claims parses, and the services in Compose trust it.

Keycloak is not started here (these tests read files): the realm's protocol
mappers are evaluated as Keycloak applies them to the realm's example users, and
the claims they give must parse as the principal each client is for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from careflow.shared.auth.claims import (
    AuthLevel,
    ProfessionalPrincipal,
    ResidentPrincipal,
    parse_principal,
)
from careflow.shared.settings import AuthSettings

REALM_FILE = Path(__file__).resolve().parents[2] / "deploy/keycloak/careflow-realm.json"
#: Which principal each client's tokens describe.
CLIENTS = {"careflow-professional": ProfessionalPrincipal, "careflow-resident": ResidentPrincipal}
#: Every token has these (RFC 7519), whatever the mappers say; Keycloak adds them itself.
REGISTERED = {"iss", "exp", "iat"}


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    return document


def parsed_claims(model: type[ProfessionalPrincipal | ResidentPrincipal]) -> set[str]:
    """The claim names the parser reads for `model` (its field aliases)."""
    return {field.alias or name for name, field in model.model_fields.items()}


def client(realm: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(c for c in realm["clients"] if c["clientId"] == client_id)


def mappers(realm: dict[str, Any], client_id: str) -> list[dict[str, Any]]:
    """The protocol mappers of a client's access tokens: its own and its default scopes'."""
    definition = client(realm, client_id)
    scopes = {scope["name"]: scope for scope in realm["clientScopes"]}
    found = list(definition.get("protocolMappers", []))
    for name in definition["defaultClientScopes"]:
        found += scopes[name].get("protocolMappers", [])
    return [m for m in found if m["config"].get("access.token.claim") == "true"]


def claim_name(mapper: dict[str, Any]) -> str:
    if mapper["protocolMapper"] == "oidc-sub-mapper":
        return "sub"
    if mapper["protocolMapper"] == "oidc-audience-mapper":
        return "aud"
    return str(mapper["config"]["claim.name"])


@pytest.mark.parametrize("client_id", CLIENTS)
def test_the_mappers_give_exactly_the_claims_the_parser_reads(
    realm: dict[str, Any], client_id: str
) -> None:
    names = [claim_name(m) for m in mappers(realm, client_id)]
    assert len(names) == len(set(names)), f"two mappers write one claim: {sorted(names)}"
    assert set(names) == parsed_claims(CLIENTS[client_id]) | {"aud"}
    # No default Keycloak scope (profile, email, roles, ...) adds claims beside them.
    assert realm["defaultDefaultClientScopes"] == []
    assert client(realm, client_id)["optionalClientScopes"] == []


@pytest.mark.parametrize("client_id", CLIENTS)
def test_each_client_says_which_actor_it_is_for(realm: dict[str, Any], client_id: str) -> None:
    (actor,) = [m for m in mappers(realm, client_id) if claim_name(m) == "actor"]
    assert actor["protocolMapper"] == "oidc-hardcoded-claim-mapper"
    assert actor["config"]["claim.value"] == CLIENTS[client_id].model_fields["actor"].default


def test_lists_are_multivalued_and_children_are_objects(realm: dict[str, Any]) -> None:
    professional = {claim_name(m): m for m in mappers(realm, "careflow-professional")}
    assert professional["groups"]["protocolMapper"] == "oidc-group-membership-mapper"
    assert professional["groups"]["config"]["full.path"] == "false"  # names, not /paths
    assert professional["roles"]["protocolMapper"] == "oidc-usermodel-realm-role-mapper"
    assert professional["roles"]["config"]["multivalued"] == "true"
    resident = {claim_name(m): m for m in mappers(realm, "careflow-resident")}
    assert resident["guardian_of"]["config"]["multivalued"] == "true"
    assert resident["guardian_of"]["config"]["jsonType.label"] == "JSON"
    for single in (professional["org"], professional["unit"], resident["auth_level"]):
        assert single["config"]["multivalued"] == "false"


def test_the_audience_is_the_one_services_require(realm: dict[str, Any]) -> None:
    for client_id in CLIENTS:
        (audience,) = [m for m in mappers(realm, client_id) if claim_name(m) == "aud"]
        assert audience["config"]["included.custom.audience"] == AuthSettings().audience


def test_access_tokens_say_at_jwt(realm: dict[str, Any]) -> None:
    for client_id in CLIENTS:
        attributes = client(realm, client_id)["attributes"]
        assert attributes["access.token.header.type.rfc9068"] == "true"
    assert "at+jwt" in AuthSettings().token_types
    assert realm["accessTokenLifespan"] <= AuthSettings().max_lifetime_seconds


def test_only_administrators_may_change_what_the_mappers_read(realm: dict[str, Any]) -> None:
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = {attribute["name"]: attribute for attribute in profile["attributes"]}
    read = {
        m["config"]["user.attribute"]
        for client_id in CLIENTS
        for m in mappers(realm, client_id)
        if m["protocolMapper"] == "oidc-usermodel-attribute-mapper"
    }
    assert read == {"organisation", "unit", "auth_level", "guardian_of"}
    for name in read:
        # A resident editing their own auth_level would be strong authentication for free.
        assert declared[name]["permissions"]["edit"] == ["admin"], name
    assert set(declared["auth_level"]["validations"]["options"]["options"]) == {
        level.value for level in AuthLevel
    }
    assert profile["unmanagedAttributePolicy"] != "ENABLED"
    assert realm["registrationAllowed"] is False


def token_claims(realm: dict[str, Any], client_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """What Keycloak's mappers put in `user`'s access token for `client_id`."""
    claims: dict[str, Any] = {"iss": "issuer", "iat": 0, "exp": 300}
    attributes = user.get("attributes", {})
    for mapper in mappers(realm, client_id):
        config, kind = mapper["config"], mapper["protocolMapper"]
        if kind == "oidc-sub-mapper":
            claims["sub"] = user["username"]  # Keycloak's user id; any identifier
        elif kind == "oidc-audience-mapper":
            claims["aud"] = config["included.custom.audience"]
        elif kind == "oidc-hardcoded-claim-mapper":
            claims[config["claim.name"]] = config["claim.value"]
        elif kind == "oidc-group-membership-mapper":
            claims[config["claim.name"]] = [g.rsplit("/", 1)[-1] for g in user.get("groups", [])]
        elif kind == "oidc-usermodel-realm-role-mapper":
            claims[config["claim.name"]] = list(user.get("realmRoles", []))
        elif kind == "oidc-usermodel-attribute-mapper":
            values = attributes.get(config["user.attribute"], [])
            if config["jsonType.label"] == "JSON":
                values = [json.loads(value) for value in values]
            if config["multivalued"] == "true":
                claims[config["claim.name"]] = values
            elif values:
                claims[config["claim.name"]] = values[0]
        else:
            raise AssertionError(f"a mapper this test does not know: {kind}")
    return claims


def test_the_example_users_tokens_parse_as_their_principals(realm: dict[str, Any]) -> None:
    kinds = {}
    for user in realm["users"]:
        client_id = (
            "careflow-resident" if "auth_level" in user["attributes"] else "careflow-professional"
        )
        principal = parse_principal(token_claims(realm, client_id, user))
        assert isinstance(principal, CLIENTS[client_id])
        kinds[user["username"]] = principal
    nurse = kinds["dev-nurse"]
    assert isinstance(nurse, ProfessionalPrincipal)
    assert (nurse.organisation, nurse.unit, nurse.groups, nurse.roles) == (
        "org-local",
        "unit-local",
        ["nurses"],
        ["nurse"],
    )
    guardian = kinds["dev-guardian"]
    assert isinstance(guardian, ResidentPrincipal)
    assert guardian.is_guardian_of("dev-child")
    assert kinds["dev-resident-anonymous"].auth_level is AuthLevel.ANONYMOUS  # type: ignore[union-attr]


def test_compose_imports_the_realm_and_points_every_service_at_it(
    compose: dict[str, Any], services: tuple[str, ...], realm: dict[str, Any]
) -> None:
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"].startswith("keycloak/keycloak:")
    assert "--import-realm" in keycloak["command"]
    assert any(
        volume.startswith("./deploy/keycloak/careflow-realm.json:/opt/keycloak/data/import/")
        for volume in keycloak["volumes"]
    )
    frontend = keycloak["environment"]["KC_HOSTNAME"]
    assert keycloak["environment"]["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    for service in services:
        definition = compose["services"][service]
        env = definition["environment"]
        prefix = service.upper() + "_AUTH__"
        assert env[prefix + "ISSUER"] == f"{frontend}/realms/{realm['realm']}"
        assert env[prefix + "ISSUER_URL"] == f"http://keycloak:8080/realms/{realm['realm']}"
        assert definition["depends_on"]["keycloak"]["condition"] == "service_healthy"
