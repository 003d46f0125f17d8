{#- Small cells of sensitive social-domain data are suppressed: fewer than this many clients in a cell
    and its figures are left empty, with the cell's onderdrukt column true. -#}
{% macro min_clients() %}5{% endmacro %}

{% macro suppressed(expression, clients) -%}
    case when {{ clients }} >= {{ min_clients() }} then {{ expression }} end
{%- endmacro %}

{#- The cell's figures as published: each column cast to its type, empty when the cell is too small. -#}
{% macro suppressed_columns(columns, clients, prefix='') -%}
    {%- for name, type in columns %}
        cast({{ suppressed(prefix ~ name, prefix ~ clients) }} as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The clients of a cell, counted so that a published cell holds at least min_clients() persons. A record
    without a client identity (a case export without BSN or client number) could belong to anyone, also to a
    client counted already: all of a cell's records without identity together count as at most one person, and
    only when no identified client is there. So the count is the fewest persons the cell can hold: a cell
    suppressed by it may hold more, a published cell never holds fewer. -#}
{% macro client_count(pseudonym) -%}
    greatest(count(distinct {{ pseudonym }}), max(case when {{ pseudonym }} is null then 1 else 0 end))
{%- endmacro %}

{% macro records_without_identity(pseudonym) -%}
    sum(case when {{ pseudonym }} is null then 1 else 0 end)
{%- endmacro %}

{#- Why a cell shows no figures: empty when published. -#}
{% macro suppression_reason(clients, without_identity) -%}
    case
        when {{ clients }} >= {{ min_clients() }} then null
        when {{ without_identity }} > 0 then 'clienten zonder identiteit'
        else 'minder dan {{ min_clients() }} clienten'
    end
{%- endmacro %}
