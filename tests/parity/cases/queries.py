"""Query shapes pipelines are made of: CTEs, subqueries, star expansion, lateral column aliases, VALUES, set
operations, type coercion in CASE and UNION."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

CASES = [
    case(
        "cte_and_join",
        "WITH a AS (SELECT grp, sum(v) AS s FROM sales GROUP BY grp) SELECT n.id, a.s FROM nums n JOIN a ON n.grp = a.grp ORDER BY n.id",
    ),
    case("scalar_subquery", "SELECT id, v - (SELECT avg(v) FROM sales) AS dev FROM sales ORDER BY id"),
    case(
        "in_subquery_with_nulls",
        "SELECT id FROM nums WHERE i NOT IN (SELECT v FROM sales WHERE v IS NOT NULL) ORDER BY id",
    ),
    case("not_in_subquery_with_null", "SELECT id FROM nums WHERE i NOT IN (SELECT v FROM sales) ORDER BY id"),
    case(
        "exists_subquery", "SELECT id FROM nums n WHERE EXISTS (SELECT 1 FROM sales s WHERE s.grp = n.grp) ORDER BY id"
    ),
    case("select_star_except", "SELECT * EXCEPT (big, f, d) FROM nums ORDER BY id"),
    case("struct_star", "SELECT id, st.* FROM nested ORDER BY id"),
    case("lateral_column_alias", "SELECT id, i * 2 AS dbl, dbl + 1 AS dbl_plus FROM nums ORDER BY id"),
    case("values_clause", "SELECT * FROM VALUES (1, 'a'), (2, NULL), (NULL, 'c') AS t(n, s)"),
    case("values_type_widening", "SELECT * FROM VALUES (1, 1.5), (2L, 2) AS t(a, b)"),
    case(
        "case_type_coercion",
        "SELECT id, CASE WHEN id = 1 THEN 1 WHEN id = 2 THEN 2.5 ELSE amt END AS r FROM nums ORDER BY id",
    ),
    case(
        "union_int_string",
        "SELECT cast(i AS STRING) AS v FROM nums WHERE id = 1 UNION ALL SELECT s AS v FROM strs WHERE id = 1",
    ),
    case("order_by_ordinal", "SELECT grp, count(*) AS n FROM nums GROUP BY grp ORDER BY 2 DESC, 1"),
    case("limit_offset", "SELECT id FROM nums ORDER BY id LIMIT 3 OFFSET 2"),
    case("distinct_struct", "SELECT DISTINCT st FROM nested"),
    case("where_on_json_path", "SELECT id FROM jsons WHERE get_json_object(j, '$.a') = '1'"),
    case("cast_in_group_by", "SELECT cast(day AS STRING) AS k, count(*) AS n FROM sales GROUP BY cast(day AS STRING)"),
    case(
        "typeof",
        "SELECT typeof(1) AS a, typeof(1.5) AS b, typeof(1.5D) AS c, typeof(array(1)) AS e, typeof(1 / 2) AS f, typeof(sum(v)) AS g FROM sales",
    ),
    case("identifier_backticks", "SELECT `id` AS `the_id`, grp AS `group` FROM nums WHERE id = 1"),
    case("star_with_expression", "SELECT *, i + 1 AS i1 FROM limits WHERE id = 3"),
    case("tablesample_free_distinct_count", "SELECT count(*) AS n FROM (SELECT DISTINCT grp, i FROM nums)"),
]
