"""SQLAlchemy 2 typed models, engine and sessions, queries, Alembic migrations. Only services/ uses it."""
