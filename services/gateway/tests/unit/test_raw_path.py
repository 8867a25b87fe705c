"""The path a service gets is the client's, as the client encoded it."""

from __future__ import annotations

from careflow.gateway.entrypoints.api.proxy import raw_rest


def test_an_encoded_slash_stays_one_segment():
    scope = {"raw_path": b"/intake/me/cases/a%2Fb", "path": "/intake/me/cases/a/b"}
    assert raw_rest(scope, "/intake", "/me/cases/a/b") == b"/me/cases/a%2Fb"


def test_an_encoded_prefix_is_re_encoded_from_the_decoded_path():
    scope = {"raw_path": b"/%69ntake/me/a%20b", "path": "/intake/me/a b"}
    assert raw_rest(scope, "/intake", "/me/a b") == b"/me/a%20b"
