"""A fresh PostgreSQL schema for a benchmark run, made and dropped around it (the
benchmarks' copy of ``tests/conftest.py::pg_url``).

    from _pg import fresh_pg_schema

    with fresh_pg_schema("postgresql+psycopg://postgres@127.0.0.1:5432/test") as url:
        ...  # ``url`` points at the new, empty schema (search_path); QuickCRM migrates it

The schema is named ``bench_<10 hex>`` and dropped (CASCADE) when the block ends, also
after an error; nothing else on the shared server is touched.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_pg_schema(url: str, *, prefix: str = "bench_") -> Iterator[str]:
    """Create a new schema on the server at ``url``; yield ``url`` with its
    ``search_path`` set to that schema; drop the schema afterwards."""
    import sqlalchemy as sa

    schema = prefix + secrets.token_hex(5)
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"not a plain schema name: {schema!r}")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in url else "?"
        try:
            yield f"{url}{sep}options=-csearch_path%3D{schema}"
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        admin.dispose()
