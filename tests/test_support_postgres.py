"""The test PostgreSQL server starts, answers a query and hands out isolated databases."""

import psycopg


def test_postgres_server_answers_and_isolates_databases(postgres_db, postgres_server):
    with psycopg.connect(postgres_db) as connection:
        connection.execute("CREATE TABLE t (x int)")
        connection.execute("INSERT INTO t VALUES (41), (1)")
        (total,) = connection.execute("SELECT sum(x) FROM t").fetchone()
    assert total == 42
    other = postgres_server.create_database()
    try:
        with psycopg.connect(other) as connection:
            exists = connection.execute("SELECT to_regclass('public.t')").fetchone()[0]
        assert exists is None
    finally:
        postgres_server.drop_database(other)
