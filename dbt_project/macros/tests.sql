{#- Generic tests the project needs beyond dbt's built-ins (no dbt packages: they cannot be fetched here). -#}

{#- The repeated combinations, found among the rows whose hash repeats: grouping one hash is cheaper than grouping
    the columns themselves (national silver fixi_melding: 1.7-2.1 -> 1.2-1.3 s), and the columns are grouped
    only for those rows, so two combinations that share a hash are not taken for one. -#}
{% test unique_combination(model, columns) %}
    with herhaald as (
        select hash({{ columns | join(', ') }}) as sleutel
        from {{ model }}
        group by 1
        having count(*) > 1
    )

    select {{ columns | join(', ') }}, count(*) as aantal
    from {{ model }}
    where hash({{ columns | join(', ') }}) in (select sleutel from herhaald)
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- A published total and all but one of its rows one level down would reveal the one suppressed row: the groups
    where that is so (see the macro secondary_suppression). -#}
{% test no_recoverable_suppressed_cell(model, table) %}
    {%- set partition = published_levels(table)['partition'] %}
    {%- for parent, child in suppression_groups(published_levels(table)['levels']) %}
    select '{{ level_name(child) }}' as niveau, concat_ws(' / ', {{ (partition + parent) | join(', ') }}) as groep
    from {{ model }} as c
    where c.niveau = '{{ level_name(child) }}'
      and exists (
          select 1 from {{ model }} as p
          where p.niveau = '{{ level_name(parent) }}' and not p.onderdrukt
          {%- for column in partition + parent %}
            and p.{{ column }} is not distinct from c.{{ column }}
          {%- endfor %}
      )
    group by {{ (partition + parent) | join(', ') }}
    having sum(case when c.onderdrukt then 1 else 0 end) = 1
    {{ "union all" if not loop.last }}
    {%- endfor %}
{% endtest %}
