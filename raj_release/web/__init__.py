"""The web layer: thin FastAPI routes over the services (JSON API, calendar feeds)."""
