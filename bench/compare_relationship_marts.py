"""Same output? Compare the relationship marts (and the link table) of two warehouses built from the same raw data.

For each table, on the columns both versions have: rows in the old table and not in the new (EXCEPT ALL) and the
reverse, so duplicates count too. Floating-point columns are compared rounded to --float-digits decimals: DuckDB
sums and averages doubles in parallel, in no fixed order, so the last bits of an average (1e-14 here) differ
between two runs of the very same SQL. Prints one line per table and exits 1 when any row differs.

    .venv/bin/python bench/compare_relationship_marts.py var/bench/baseline_build_1m.duckdb \\
        var/bench/relationships/runs-1000000/build.duckdb
"""

from __future__ import annotations

import argparse
import sys

import duckdb

TABLES = (
    "marts.fct_relationship_kpis",
    "marts.fct_relationship_health_daily",
    "marts.fct_relationship_activity_daily",
    "marts.fct_record_activities",
    "marts.dim_leads",
    "marts.dim_opportunities",
    "marts.dim_contacts",
    "marts.dim_accounts",
    "intermediate.int_activities_linked_to_records",
)


FLOATING = ("DOUBLE", "FLOAT", "REAL")


def columns(connection: duckdb.DuckDBPyConnection, database: str, table: str) -> dict[str, str]:
    """Column name -> data type, in table order."""
    schema, name = table.split(".")
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [database, schema, name],
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def compare(old_path: str, new_path: str, skip: set[str], float_digits: int) -> int:
    """Print the differing row counts per table; return how many tables differ."""
    connection = duckdb.connect(config={"autoload_known_extensions": False})
    connection.execute(f"attach '{old_path}' as old (read_only)")
    connection.execute(f"attach '{new_path}' as new (read_only)")
    differing = 0
    for table in TABLES:
        old_columns, new_columns = columns(connection, "old", table), columns(connection, "new", table)
        common = [c for c in old_columns if c in new_columns and c not in skip]
        if not common:
            print(f"{table:<48} missing in one warehouse")
            differing += 1
            continue
        listed = ", ".join(
            f'round("{c}", {float_digits})' if new_columns[c] in FLOATING else f'"{c}"' for c in common
        )
        (old_only,) = connection.execute(
            f"select count(*) from (select {listed} from old.{table} except all select {listed} from new.{table})"
        ).fetchone()
        (new_only,) = connection.execute(
            f"select count(*) from (select {listed} from new.{table} except all select {listed} from old.{table})"
        ).fetchone()
        (rows,) = connection.execute(f"select count(*) from new.{table}").fetchone()
        only_old = sorted(set(old_columns) - set(new_columns))
        only_new = sorted(set(new_columns) - set(old_columns))
        print(
            f"{table:<48} {rows:>10,} rows  old-not-new {old_only:>8,}  new-not-old {new_only:>8,}  "
            f"({len(common)} columns compared; only old {only_old or '-'}; only new {only_new or '-'}; "
            f"skipped {sorted(skip & set(old_columns)) or '-'})"
        )
        differing += bool(old_only or new_only)
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", help="warehouse built by the old models")
    parser.add_argument("new", help="warehouse built by the new models from the same raw data")
    parser.add_argument(
        "--skip",
        default="record_activity_key",
        help="comma-separated columns whose definition changed on purpose (not compared)",
    )
    parser.add_argument(
        "--float-digits", type=int, default=6, help="decimals floating-point columns are rounded to"
    )
    args = parser.parse_args()
    differing = compare(args.old, args.new, set(filter(None, args.skip.split(","))), args.float_digits)
    print("same output" if not differing else f"{differing} table(s) differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
