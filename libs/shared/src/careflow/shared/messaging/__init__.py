"""Kafka wiring: producer, topics, idempotent consumers, dead letters."""
