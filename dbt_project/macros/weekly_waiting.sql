{#- Weekly counts of waiting periods, per published level, without a row per period and week: a national
    waiting list expands to some 211 million period-weeks, and their distinct client counts spilled over 25 GB
    to disk. Instead each period gives the weeks in which something changes, and the counts run from one change
    to the next.
    `relation` holds one row per period: the `partition` columns (without the week), every level's columns,
    persoon_pseudoniem, eerste_week and laatste_week (the peildata, Sundays, of the first and last week it
    waited in), ingestroomd and uitgestroomd (1 when it began or ended in its first or last week, else 0) and
    zonder_identiteit (1 for a period without a client identity).
    Ends in the CTE `per_week`: per level (`niveau`, other levels' columns empty), cell and `peildatum`, the
    `perioden` waiting in that week, the distinct identified `clienten`, the periods `zonder_identiteit`, and the
    `instroom` and `uitstroom` of that week; only weeks with a period waiting. -#}
{% macro weekly_waiting(relation, partition, levels) -%}
    {%- set dimensions = levels | sum(start=[]) | unique | list -%}
    {%- for level in levels %}
    {%- set cell = partition + level %}
    {#- What changes in a week per cell: the periods and clients that start and stop waiting, and the instroom
        and uitstroom of that week alone. A client counts once however many of their periods in the cell
        overlap: taken in order of their first week, a period adds to the client's weeks only those after the
        last week of the periods before it (`eerder_tot`). #}
    wijzigingen_{{ loop.index }} as (
        select {{ cell | join(', ') }}, wijzigingsweek,
            sum(perioden) as perioden, sum(clienten) as clienten, sum(zonder_identiteit) as zonder_identiteit,
            sum(instroom) as instroom, sum(uitstroom) as uitstroom
        from (
            select {{ cell | join(', ') }},
                unnest([eerste_week, laatste_week, laatste_week + 7, client_vanaf]) as wijzigingsweek,
                unnest([1, 0, -1, 0]) as perioden,
                unnest([0, 0, -nieuwe_weken, nieuwe_weken]) as clienten,
                unnest([zonder_identiteit, 0, -zonder_identiteit, 0]) as zonder_identiteit,
                unnest([ingestroomd, 0, 0, 0]) as instroom,
                unnest([0, uitgestroomd, 0, 0]) as uitstroom
            from (
                select *,
                    case when persoon_pseudoniem is not null and (eerder_tot is null or laatste_week > eerder_tot)
                        then 1 else 0 end as nieuwe_weken,
                    greatest(eerste_week, coalesce(eerder_tot + 7, eerste_week)) as client_vanaf
                from (
                    select *,
                        max(laatste_week) over (
                            partition by {{ cell | join(', ') }}, persoon_pseudoniem order by eerste_week, laatste_week
                            rows between unbounded preceding and 1 preceding) as eerder_tot
                    from {{ relation }}
                ) as geordend
            ) as periode
        ) as wijziging
        group by {{ cell | join(', ') }}, wijzigingsweek
    ),
    {%- endfor %}
    {#- The running totals from one change to the next. A cell has one row per week of change, so the default
        frame (up to the current week) sums up to the current row. #}
    stand as (
        {%- for level in levels %}
        {%- set per_cel = 'partition by ' ~ (partition + level) | join(', ') ~ ' order by wijzigingsweek' %}
        select {{ partition | join(', ') }}, '{{ level_name(level) }}' as niveau,
            {%- for d in dimensions %} {{ d if d in level else 'cast(null as varchar) as ' ~ d }},{% endfor %}
            wijzigingsweek,
            lead(wijzigingsweek) over ({{ per_cel }}) as volgende_week,
            sum(perioden) over ({{ per_cel }}) as perioden,
            sum(clienten) over ({{ per_cel }}) as clienten,
            sum(zonder_identiteit) over ({{ per_cel }}) as zonder_identiteit,
            instroom, uitstroom
        from wijzigingen_{{ loop.index }}
        {{- " union all" if not loop.last }}
        {%- endfor %}
    ),
    {#- Every week from one change to the next: unnest streams them, where a join with the weeks (by range, or
        lateral) held them all in memory. A cell's last change is the week after its last period ended, with
        nothing waiting (perioden 0), so no week is generated past the last. #}
    per_week as (
        select * exclude (wijzigingsweek, volgende_week, instroom, uitstroom),
            case when peildatum = wijzigingsweek then instroom else 0 end as instroom,
            case when peildatum = wijzigingsweek then uitstroom else 0 end as uitstroom
        from (
            select *, cast(unnest(range(wijzigingsweek, volgende_week, interval 7 day)) as date) as peildatum
            from stand
            where perioden > 0
        ) as gespreid
    ),
{%- endmacro %}
