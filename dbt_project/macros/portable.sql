{#- Functions whose spelling differs per engine. DuckDB is the embedded engine; the default branch is
    standard SQL, so the same models run on engines such as Spark where the dialect allows it. -#}

{% macro percentile(column, fraction) -%}
    {{ return(adapter.dispatch('percentile')(column, fraction)) }}
{%- endmacro %}
{% macro duckdb__percentile(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}
{% macro default__percentile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{#- Several percentiles of one column from one sort of its values: each `percentile` sorts them anew, and on
    national Fixi two pairs of them took 10 s where a list of two each took 5 s. `list_item` reads the list;
    positions start at 1. -#}
{% macro percentiles(column, fractions) -%}
    {{ return(adapter.dispatch('percentiles')(column, fractions)) }}
{%- endmacro %}
{% macro duckdb__percentiles(column, fractions) -%}
    quantile_cont({{ column }}, [{{ fractions | join(', ') }}])
{%- endmacro %}
{% macro default__percentiles(column, fractions) -%}
    array({% for fraction in fractions %}{{ default__percentile(column, fraction) }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro list_item(list, position) -%}
    {{ return(adapter.dispatch('list_item')(list, position)) }}
{%- endmacro %}
{% macro duckdb__list_item(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}
{% macro default__list_item(list, position) -%}
    element_at({{ list }}, {{ position }})
{%- endmacro %}

{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between')(start, end)) }}
{%- endmacro %}
{% macro duckdb__days_between(start, end) -%}
    date_diff('day', cast({{ start }} as date), cast({{ end }} as date))
{%- endmacro %}
{% macro default__days_between(start, end) -%}
    datediff(cast({{ end }} as date), cast({{ start }} as date))
{%- endmacro %}

{% macro date_series(first, last) -%}
    {{ return(adapter.dispatch('date_series')(first, last)) }}
{%- endmacro %}
{% macro duckdb__date_series(first, last) -%}
    select cast(range as date) as datum from range(cast({{ first }} as date), cast({{ last }} as date) + interval 1 day, interval 1 day)
{%- endmacro %}

{#- The reference date, read when a model runs, not when dbt parses the project: an environment variable read
    while parsing makes dbt parse the models again whenever it changes, that is every night. -#}
{% macro peildatum() -%}
    {%- if execute -%}
        cast('{{ env_var("LAKEHOUSE_PEILDATUM", modules.datetime.date.today().isoformat()) }}' as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}

{#- The first day of the peildatum's month, for a model that looks no finer than the month: the pipeline then
    rebuilds it when the month changes, not every night (pipelines/build_state.py). -#}
{% macro peilmaand() -%}
    cast(date_trunc('month', {{ peildatum() }}) as date)
{%- endmacro %}

{#- The last Sunday on or before the peildatum, for a model that looks no finer than whole weeks ending on
    Sunday: the pipeline then rebuilds it when a new week ends, not every night. -#}
{% macro peilzondag() -%}
    cast(date_trunc('week', {{ peildatum() }} + interval 1 day) - interval 1 day as date)
{%- endmacro %}

{#- The Sunday that ends the ISO week of a date (weeks run Monday to Sunday). -#}
{% macro week_end(date) -%}
    cast(date_trunc('week', {{ date }}) as date) + 6
{%- endmacro %}

{% macro month_index(date) -%}
    (extract(year from {{ date }}) * 12 + extract(month from {{ date }}))
{%- endmacro %}

{% macro add_months(date, months) -%}
    {{ return(adapter.dispatch('add_months')(date, months)) }}
{%- endmacro %}
{% macro duckdb__add_months(date, months) -%}
    cast({{ date }} + to_months(cast({{ months }} as integer)) as date)
{%- endmacro %}
{% macro default__add_months(date, months) -%}
    add_months({{ date }}, {{ months }})
{%- endmacro %}

{#- A window frame's values as a list, and the median and median absolute deviation of such a list: a baseline of
    the weeks before each week in one window pass. Joining each week to the weeks before it and taking two grouped
    medians took twice as long nationally (fixi_pieken 1.9 -> 0.85 s). -#}
{% macro collect_list(column) -%}
    {{ return(adapter.dispatch('collect_list')(column)) }}
{%- endmacro %}
{% macro duckdb__collect_list(column) -%}
    list({{ column }})
{%- endmacro %}
{% macro default__collect_list(column) -%}
    collect_list({{ column }})
{%- endmacro %}

{% macro list_median(list) -%}
    {{ return(adapter.dispatch('list_median')(list)) }}
{%- endmacro %}
{% macro duckdb__list_median(list) -%}
    list_median({{ list }})
{%- endmacro %}
{% macro default__list_median(list) -%}
    ((element_at(array_sort({{ list }}), cast(floor((cardinality({{ list }}) + 1) / 2) as int))
      + element_at(array_sort({{ list }}), cast(ceil((cardinality({{ list }}) + 1) / 2) as int))) / 2.0)
{%- endmacro %}

{#- The median absolute deviation of a list from its `median`, computed beforehand: inside the lambda the median
    of the whole list was computed again for every element (national fixi_pieken: 1.4 -> 0.7 s of 2.9 s). -#}
{% macro list_median_deviation(list, median) -%}
    {{ return(adapter.dispatch('list_median_deviation')(list, median)) }}
{%- endmacro %}
{% macro duckdb__list_median_deviation(list, median) -%}
    list_median(list_transform({{ list }}, lambda x: abs(x - {{ median }})))
{%- endmacro %}
{% macro default__list_median_deviation(list, median) -%}
    {{ default__list_median('transform(' ~ list ~ ', x -> abs(x - ' ~ median ~ '))') }}
{%- endmacro %}

{#- Per group, the columns of its first row in the order of `order_by` (ascending, NULL last). DuckDB takes that
    row in one aggregation: numbering the rows in a window and keeping the first took longer (national
    fixi_pieken's busiest wijk of 2.8 million wijk weeks, on its own: 1.1-1.4 -> 0.7-0.9 s). -#}
{% macro first_per_group(relation, group_by, order_by, columns) -%}
    {{ return(adapter.dispatch('first_per_group')(relation, group_by, order_by, columns)) }}
{%- endmacro %}
{% macro duckdb__first_per_group(relation, group_by, order_by, columns) -%}
    select
        {{ group_by | join(', ') }},
        {% for column in columns %}eerste.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    from (
        select
            {{ group_by | join(', ') }},
            arg_min(
                { {%- for column in columns %}'{{ column }}': {{ column }}{{ ', ' if not loop.last }}{% endfor -%} },
                ({{ order_by | join(', ') }})
            ) as eerste
        from {{ relation }}
        group by {{ group_by | join(', ') }}
    ) as per_groep
{%- endmacro %}
{% macro default__first_per_group(relation, group_by, order_by, columns) -%}
    select {{ group_by | join(', ') }}, {{ columns | join(', ') }}
    from (
        select
            *,
            row_number() over (
                partition by {{ group_by | join(', ') }} order by {{ order_by | join(', ') }}
            ) as volgnummer
        from {{ relation }}
    ) as genummerd
    where volgnummer = 1
{%- endmacro %}
