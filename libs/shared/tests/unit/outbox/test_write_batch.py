"""Composing a unit of work's writes into one statement (pure: no database)."""

from __future__ import annotations

import pytest

from careflow.shared.db.driver import value_rows
from careflow.shared.db.write_batch import WriteBatch, one_statement


def test_one_part_is_sent_as_it_is() -> None:
    sql = "INSERT INTO notes (id, body) VALUES ($1, $2)"
    assert one_statement([(sql, (1, "a"))]) == (sql, [1, "a"])


def test_parts_become_with_queries_numbered_on_from_the_previous_part() -> None:
    batch = WriteBatch()
    batch.add("INSERT INTO parents (id) VALUES ($1)", 7)
    batch.add("INSERT INTO children (id, parent_id, n) VALUES ($1, $2, $1)", 70, 7)
    batch.add("DELETE FROM stale WHERE id = $1", 9)
    sql, args = one_statement(batch.take())
    assert sql == (
        "WITH w0 AS (INSERT INTO parents (id) VALUES ($1)), "
        "w1 AS (INSERT INTO children (id, parent_id, n) VALUES ($2, $3, $2)), "
        "w2 AS (DELETE FROM stale WHERE id = $4) SELECT 1"
    )
    assert args == [7, 70, 7, 9]
    assert len(batch) == 0  # taken


def test_ten_or_more_parameters_are_renumbered_whole() -> None:
    wide = "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    sql, args = one_statement([("DELETE FROM t WHERE id = $1", (0,)), (wide, tuple(range(11)))])
    assert "($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" in sql
    assert len(args) == 12


def test_a_part_whose_parameters_do_not_fit_its_values_is_refused() -> None:
    with pytest.raises(ValueError, match="part 1"):
        one_statement([("DELETE FROM t WHERE id = $1", (1,)), ("DELETE FROM u WHERE x = $2", (2,))])


def test_value_rows_number_the_flattened_values_row_by_row() -> None:
    assert value_rows(2, 3) == "($1, $2, $3), ($4, $5, $6)"
    assert value_rows(1, 1) == "($1)"
