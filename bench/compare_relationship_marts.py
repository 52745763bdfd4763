"""Same output? Compare the relationship marts (and the link table) of two warehouses built from the same raw data.

For each table, on the columns both versions have: rows in the old table and not in the new (EXCEPT ALL) and the
reverse, so duplicates count too, over every column that is not floating-point. Floating-point columns are then
compared row by row on the table's key, equal within --tolerance (absolute): DuckDB sums and averages doubles in
parallel, in no fixed order, so the last bits of an average (1e-14) differ between two runs of the very same SQL
(rounding would not do: values such as 1.3153125 sit on a rounding boundary). Prints one line per table and
exits 1 when any row differs.

    .venv/bin/python bench/compare_relationship_marts.py var/bench/baseline_build_1m.duckdb \\
        var/bench/relationships/runs-1000000/build.duckdb
"""

from __future__ import annotations

import argparse
import sys

import duckdb

# table -> its key, comma-separated columns (what float columns are matched on)
TABLES = {
    "marts.fct_relationship_kpis": "record_kpi_key",
    "marts.fct_relationship_health_daily": "record_health_key",
    "marts.fct_relationship_activity_daily": "record_day_activity_key",
    "marts.fct_record_activities": "record_type, record_id, activity_id",
    "marts.dim_leads": "lead_id",
    "marts.dim_opportunities": "opportunity_id",
    "marts.dim_contacts": "contact_id",
    "marts.dim_accounts": "account_id",
    "intermediate.int_activities_linked_to_records": "record_type, record_id, activity_id",
    "intermediate.int_activity_responses_paired": "activity_id",
}


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


def float_mismatches(
    connection: duckdb.DuckDBPyConnection, table: str, key: str, floats: list[str], tolerance: float
) -> int:
    """Rows whose floating-point columns differ by more than ``tolerance`` (or in being null), matched on ``key``."""
    if not floats:
        return 0
    differs = " or ".join(
        f'(old_rows."{c}" is null) <> (new_rows."{c}" is null) or abs(old_rows."{c}" - new_rows."{c}") > {tolerance}'
        for c in floats
    )
    (count,) = connection.execute(
        f"select count(*) from old.{table} as old_rows inner join new.{table} as new_rows using ({key}) "
        f"where {differs}"
    ).fetchone()
    return count


def compare(old_path: str, new_path: str, skip: set[str], tolerance: float) -> int:
    """Print the differing row counts per table; return how many tables differ."""
    connection = duckdb.connect(config={"autoload_known_extensions": False})
    connection.execute(f"attach '{old_path}' as old (read_only)")
    connection.execute(f"attach '{new_path}' as new (read_only)")
    differing = 0
    for table, key in TABLES.items():
        old_columns, new_columns = columns(connection, "old", table), columns(connection, "new", table)
        skipped = {c for c in old_columns if c in skip or f"{table}.{c}" in skip}
        common = [c for c in old_columns if c in new_columns and c not in skipped]
        if not common:
            print(f"{table:<48} missing in one warehouse")
            differing += 1
            continue
        floats = [c for c in common if new_columns[c] in FLOATING]
        listed = ", ".join(f'"{c}"' for c in common if c not in floats)
        (old_only,) = connection.execute(
            f"select count(*) from (select {listed} from old.{table} except all select {listed} from new.{table})"
        ).fetchone()
        (new_only,) = connection.execute(
            f"select count(*) from (select {listed} from new.{table} except all select {listed} from old.{table})"
        ).fetchone()
        (rows,) = connection.execute(f"select count(*) from new.{table}").fetchone()
        # the key must match one to one for the float comparison to see every row
        key_compared = all(part.strip() in common for part in key.split(","))
        float_rows = float_mismatches(connection, table, key, floats, tolerance) if key_compared else 0
        only_old = sorted(set(old_columns) - set(new_columns))
        only_new = sorted(set(new_columns) - set(old_columns))
        print(
            f"{table:<48} {rows:>10,} rows  old-not-new {old_only:>6,}  new-not-old {new_only:>6,}  "
            f"float columns off by > {tolerance:g}: {float_rows:,} rows  "
            f"({len(common)} columns compared, {len(floats)} float; only old {only_old or '-'}; "
            f"only new {only_new or '-'}; "
            f"skipped {sorted(skipped) or '-'})"
        )
        if floats and not key_compared:
            print(f"  {table}: key {key} not comparable, float columns only compared by EXCEPT ALL above")
        differing += bool(old_only or new_only or float_rows)
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", help="warehouse built by the old models")
    parser.add_argument("new", help="warehouse built by the new models from the same raw data")
    parser.add_argument(
        "--skip",
        default="intermediate.int_activities_linked_to_records.record_activity_key",
        help="comma-separated columns (or schema.table.column) whose definition changed on purpose (not compared)",
    )
    parser.add_argument(
        "--tolerance", type=float, default=1e-9, help="absolute difference allowed in floating-point columns"
    )
    args = parser.parse_args()
    differing = compare(args.old, args.new, set(filter(None, args.skip.split(","))), args.tolerance)
    print("same output" if not differing else f"{differing} table(s) differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
