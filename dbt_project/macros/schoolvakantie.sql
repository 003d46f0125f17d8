{#- The school holiday region of a municipality not in seed gemeente_schoolregio: midden, the region of most of
    the middle of the country (as the weather joins take De Bilt). -#}
{% macro default_schoolregio() -%}
    'midden'
{%- endmacro %}

{#- The school holiday weeks of each municipality in `gemeenten` (a relation or subquery with a gemeentecode
    column): gemeentecode, week_start and schoolvakantie, from silver schoolvakantie_week of its region. -#}
{% macro schoolvakantie_weken(gemeenten) -%}
    (
        select g.gemeentecode, v.week_start, v.schoolvakantie
        from (select distinct gemeentecode from {{ gemeenten }}) as g
        left join {{ ref('gemeente_schoolregio') }} as r using (gemeentecode)
        inner join {{ ref('schoolvakantie_week') }} as v
            on v.schoolregio = coalesce(r.schoolregio, {{ default_schoolregio() }})
    )
{%- endmacro %}
