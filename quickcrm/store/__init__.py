"""The store: engine and sessions, SQLModel tables, Alembic migrations."""
