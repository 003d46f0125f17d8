{#- Which delivery of a record counts: the one loaded last, within a file the record furthest down. A model
    may put its own preference first (e.g. the most recent change in the source). 1 is the record to keep. -#}
{% macro delivery_rank(partition_by, prefer=none) -%}
    row_number() over (
        partition by {{ partition_by }}
        order by {% if prefer %}{{ prefer }}, {% endif %}geladen_op desc, bron_bestand desc, bron_record desc
    )
{%- endmacro %}

{#- Field-level merge of several deliveries of one record: the value of the most recent delivery that knows it
    (`volgorde` from `delivery_rank`, 1 the latest), so a later but poorer delivery erases nothing. `known` groups
    fields that belong together (e.g. a date and its code): they are taken from the same delivery. min_by with a
    FILTER clause is DuckDB's and Spark's alike. -#}
{% macro latest_known(column, known=none) -%}
    min_by({{ column }}, volgorde) filter (where {{ known or (column ~ ' is not null') }})
{%- endmacro %}
