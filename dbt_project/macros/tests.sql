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
