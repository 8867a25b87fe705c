"""Transactional outbox: events written with the state change, published by the relay."""
