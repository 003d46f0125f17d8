{#- The KNMI station of a municipality not in seed gemeente_weerstation: De Bilt, in the middle of the country. -#}
{% macro default_weerstation() -%}
    260
{%- endmacro %}
