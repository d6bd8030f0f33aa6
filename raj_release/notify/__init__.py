"""Delivery of outbox messages through apprise."""
