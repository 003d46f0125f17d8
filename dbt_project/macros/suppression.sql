{#- Small cells of sensitive social-domain data are suppressed: fewer than this many clients in a cell
    and its figures are left empty, with the cell's onderdrukt column true. -#}
{% macro min_clients() %}5{% endmacro %}

{% macro suppressed(expression, clients) -%}
    case when {{ clients }} >= {{ min_clients() }} then {{ expression }} end
{%- endmacro %}
