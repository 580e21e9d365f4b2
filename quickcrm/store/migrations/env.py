"""Alembic environment: runs on the engine QuickCRM hands over (never from alembic.ini).

An entry point like the CLI: it reads every area's tables from ``quickcrm.areas``.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from quickcrm.areas import metadata

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # `alembic` run by hand with -x url=...
        url = context.get_x_argument(as_dictionary=True)["url"]
        engine = engine_from_config({"sqlalchemy.url": url}, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata(),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
