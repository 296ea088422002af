"""The database: typed SQLAlchemy models, the session factory, Alembic migrations."""
