"""Tracing, metrics and structured logging for every service."""
