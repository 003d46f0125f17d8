{#- Each week (Monday) with the public holidays that touch it: a holiday in the week, or on the Sunday before it
    (meldingen about New Year's Eve or a holiday weekend come in on the Monday). -#}
{% macro feestdag_weken() -%}
    (
        select w.week_start, string_agg(distinct k.feestdag_naam, ', ' order by k.feestdag_naam) as feestdag_naam
        from (select distinct week_start from {{ ref('kalender') }}) as w
        inner join {{ ref('kalender') }} as k on k.datum between w.week_start - 1 and w.week_start + 6 and k.is_feestdag
        group by w.week_start
    )
{%- endmacro %}
