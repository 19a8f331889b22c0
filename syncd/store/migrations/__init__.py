"""Alembic migrations of the state store (run them with ``syncd db upgrade``)."""
