"""Test fixtures: embedded PostgreSQL and a Tansu broker for every test suite."""
