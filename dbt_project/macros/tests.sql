{#- Generic tests the project needs beyond dbt's built-ins (no dbt packages: they cannot be fetched here). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as aantal
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
