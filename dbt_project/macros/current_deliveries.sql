{#- A bronze table's rows of the deliveries that count now: those of the landing files the last run found in
    landing (the source system's `<system>_aanlevering`, pipelines/bronze/deliveries.py). Bronze keeps every
    delivery; a file removed from landing, or corrected in place, no longer counts in silver. Every silver model
    reads bronze through this macro, in its source CTE. -#}
{% macro current_deliveries(table) -%}
    {%- set system = {'cbs_wijk_buurt': 'referentie', 'knmi_daggegevens': 'referentie'}.get(table, table.split('_')[0]) -%}
    (
        select * from {{ source('bronze', table) }}
        where bron_bestand_hash in (select bron_bestand_hash from {{ source('bronze', system ~ '_aanlevering') }})
    )
{%- endmacro %}
