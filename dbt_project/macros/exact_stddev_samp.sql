{#- The sample standard deviation of a whole-number column over the rows where `condition` holds, from exact
    integer sums: DuckDB's stddev_samp combines its threads' partial results in no fixed order, so its last bits, and
    a rounded result on a rounding boundary, differ from run to run. Null for fewer than two rows, as stddev_samp;
    squared as hugeint, which no count overflows. -#}
{% macro exact_stddev_samp(column, condition) -%}
    case when count({{ column }}) filter (where {{ condition }}) > 1 then sqrt(greatest(
        sum(cast({{ column }} as hugeint) * {{ column }}) filter (where {{ condition }})
        - sum({{ column }}) filter (where {{ condition }}) * sum({{ column }}) filter (where {{ condition }})
        / count({{ column }}) filter (where {{ condition }}),
        0
    ) / (count({{ column }}) filter (where {{ condition }}) - 1)) end
{%- endmacro %}
