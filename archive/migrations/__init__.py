"""Alembic migration scripts of the archive schema, run by `open_archive`."""
