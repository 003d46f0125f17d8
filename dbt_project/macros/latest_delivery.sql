{#- Which delivery of a record counts: the one loaded last, within a file the record furthest down. A model
    may put its own preference first (e.g. the most recent change in the source). 1 is the record to keep. -#}
{% macro delivery_rank(partition_by, prefer=none) -%}
    row_number() over (
        partition by {{ partition_by }}
        order by {% if prefer %}{{ prefer }}, {% endif %}geladen_op desc, bron_bestand desc, bron_record desc
    )
{%- endmacro %}
