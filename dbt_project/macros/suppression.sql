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
