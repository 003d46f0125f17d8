{#- The weeks (gemeentecode, week_start) of fixi_meldingen_week that a nightly build recomputes.

    A week is recomputed when a melding in it has a delivery ingested since the table's last build, or when its
    count no longer matches silver: a melding whose date was corrected moves to another week, and leaves the old
    one behind, possibly empty. The pre-hooks list those weeks once, in a temporary table of the build's
    connection, and delete them; the build then adds back those of them that silver has. (The model listed them
    again itself, which nationally took a second more than its own counting.) -#}

{% macro fixi_week_counts_differ(weeks_table) %}
    select coalesce(s.gemeentecode, w.gemeentecode) as gemeentecode, coalesce(s.week_start, w.week_start) as week_start
    from (
        select m.gemeentecode, k.week_start, count(*) as aantal
        from {{ ref('fixi_melding') }} as m
        inner join {{ ref('kalender') }} as k on k.datum = cast(m.datum_melding as date)
        group by m.gemeentecode, k.week_start
    ) as s
    full join (
        select gemeentecode, week_start, sum(aantal_meldingen) as aantal
        from {{ weeks_table }}
        group by gemeentecode, week_start
    ) as w on w.gemeentecode = s.gemeentecode and w.week_start = s.week_start
    where s.aantal is distinct from w.aantal
{% endmacro %}

{% macro fixi_weeks_with_new_deliveries(weeks_table) %}
    select distinct m.gemeentecode, k.week_start
    from {{ ref('fixi_melding') }} as m
    inner join {{ ref('kalender') }} as k on k.datum = cast(m.datum_melding as date)
    where m.laatst_geladen_op > (select max(laatst_geladen_op) from {{ weeks_table }})
{% endmacro %}

{% macro released_fixi_weeks() -%}
    fixi_weken_te_herberekenen
{%- endmacro %}

{% macro list_fixi_weeks_to_recompute() %}
    {%- if is_incremental() %}
    create or replace temporary table {{ released_fixi_weeks() }} as
    {{ fixi_weeks_with_new_deliveries(this) }}
    union
    {{ fixi_week_counts_differ(this) }}
    {%- endif %}
{% endmacro %}

{% macro release_fixi_weeks() %}
    {%- if is_incremental() %}
    delete from {{ this }}
    where (gemeentecode, week_start) in (select gemeentecode, week_start from {{ released_fixi_weeks() }})
    {%- endif %}
{% endmacro %}
