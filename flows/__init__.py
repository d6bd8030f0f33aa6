"""Prefect flows: thin, batch-level, they call services (the daily sweep arrives with the reminders)."""
