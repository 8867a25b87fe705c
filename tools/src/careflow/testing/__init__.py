"""Test fixtures: embedded PostgreSQL and a Tansu broker for every test suite."""

import pytest

# Shared checks assert in this package: pytest rewrites them for readable failures.
pytest.register_assert_rewrite("careflow.testing.privileges")
