{#- Small cells of sensitive social-domain data are suppressed: fewer than this many clients in a cell
    and its figures are left empty, with the cell's onderdrukt column true. -#}
{% macro min_clients() %}5{% endmacro %}

{#- The clients of a cell, counted so that a published cell holds at least min_clients() persons. A record
    without a client identity (a case export without BSN or client number) could belong to anyone, also to a
    client counted already: all of a cell's records without identity together count as at most one person, and
    only when no identified client is there. So the count is the fewest persons the cell can hold: a cell
    suppressed by it may hold more, a published cell never holds fewer. -#}
{% macro client_count(pseudonym) -%}
    {{ fewest_persons('count(distinct ' ~ pseudonym ~ ')', records_without_identity(pseudonym)) }}
{%- endmacro %}

{#- The same count from the number of identified clients and of records without identity. -#}
{% macro fewest_persons(identified_clients, without_identity) -%}
    greatest({{ identified_clients }}, case when {{ without_identity }} > 0 then 1 else 0 end)
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

{#- Published levels of a social-domain table: within each `partition` (e.g. week, municipality and law),
    `levels` lists the columns each level is split by, from the municipality as a whole ([]) to the cells (e.g.
    ['wijkcode', 'productcategorie']); a level's name, in the table's `niveau` column, joins its columns' names
    ('gemeente' for the municipality as a whole). -#}
{% macro published_levels(table) -%}
    {#- Each law on its own: the Wmo and the Jeugdwet have their own terms, and a total over both would let a
        small Jeugd list be read from it and the Wmo total. -#}
    {%- set area = [[], ['productcategorie'], ['wijkcode'], ['wijkcode', 'productcategorie']] -%}
    {{- return({
        'sociaal_domein_wachtlijst': {'partition': ['peildatum', 'gemeentecode', 'wet'], 'levels': area},
        'sociaal_domein_doorlooptijden': {'partition': ['maand_start', 'gemeentecode', 'wet'], 'levels': area},
        'sociaal_domein_wachttijd_aanbieder': {'partition': ['gemeentecode', 'wet'],
                                               'levels': [[], ['aanbieder'], ['productcategorie'],
                                                          ['aanbieder', 'productcategorie']]},
        'sociaal_domein_instroom_uitstroom': {'partition': ['peildatum', 'gemeentecode', 'wet', 'fase'],
                                              'levels': [[], ['productcategorie'], ['wijkcode'], ['aanbieder'],
                                                         ['verwijzer_type']]},
    }[table]) -}}
{%- endmacro %}

{% macro level_name(level) -%}
    {{- level | map('replace', 'wijkcode', 'wijk') | map('replace', 'verwijzer_type', 'verwijzer') | join('_') or 'gemeente' -}}
{%- endmacro %}

{% macro level_grouping_sets(partition, levels) -%}
    grouping sets ({% for level in levels %}({{ (partition + level) | join(', ') }}){{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The level of a row of a `level_grouping_sets` aggregation: the level whose columns are exactly the ones
    not grouped over. -#}
{% macro level_of_row(levels) -%}
    {%- set dimensions = levels | sum(start=[]) | unique | list -%}
    case
    {%- for level in levels %}
        when {% for d in dimensions %}grouping({{ d }}) = {{ 0 if d in level else 1 }}{{ " and " if not loop.last }}{% endfor %}
            then '{{ level_name(level) }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- (parent level, child level): the child's rows are the parent's row split by one more column. -#}
{% macro suppression_groups(levels) -%}
    {%- set pairs = [] -%}
    {%- for parent in levels -%}{%- for child in levels -%}
        {%- if child | length == parent | length + 1 and (parent | reject('in', child) | list | length) == 0 -%}
            {%- do pairs.append((parent, child)) -%}
        {%- endif -%}
    {%- endfor -%}{%- endfor -%}
    {{ return(pairs) }}
{%- endmacro %}

{#- The CTEs of primary and secondary suppression (statistical disclosure control) over the rows of all levels
    of `relation`, ending in the CTE `onderdrukking`: every column of `relation` with `onderdrukt` and
    `onderdrukt_reden`; the caller empties the figures of suppressed rows.
    Primary: a row of fewer than min_clients() clients. Secondary: where a published row is the sum of its rows
    one level down (a municipality's wijken, a wijk's productcategorieën) and exactly one of those is suppressed,
    the published total minus the published rows would reveal it, so the smallest other row of that group is
    suppressed too, or, when the group has no other row, the total. A new suppression can leave another group
    with exactly one, so this is repeated `passes` times; the dbt test `no_recoverable_suppressed_cell` checks
    that it settled. A pass carries only the numbers of the rows suppressed so far (`secundair_k`), not a copy
    of every row: six copies of the national instroom and uitstroom spilled some 8 GB to disk. -#}
{% macro secondary_suppression(relation, partition, levels, passes=6) -%}
    {%- set pairs = suppression_groups(levels) -%}
    onderdrukking_0 as (
        select *, row_number() over () as rij, aantal_clienten < {{ min_clients() }} as primair
        from {{ relation }}
    ),
    secundair_0 as (select cast(null as bigint) as rij where false),
    {%- for k in range(1, passes + 1) %}
    {%- for parent, child in pairs %}
    kandidaat_{{ k }}_{{ loop.index }} as (
        select case when c.zichtbaar_in_groep = 0 then p.rij else c.rij end as rij
        from (
            select rij, onderdrukt, {{ (partition + child) | join(', ') }},
                sum(case when onderdrukt then 1 else 0 end)
                    over (partition by {{ (partition + parent) | join(', ') }}) as onderdrukt_in_groep,
                sum(case when onderdrukt then 0 else 1 end)
                    over (partition by {{ (partition + parent) | join(', ') }}) as zichtbaar_in_groep,
                row_number() over (partition by {{ (partition + parent) | join(', ') }}, onderdrukt
                                   order by aantal_clienten, {{ child | join(', ') }}) as rang
            from (
                select *, {{ suppressed_before(k) }} as onderdrukt
                from onderdrukking_0
                where niveau = '{{ level_name(child) }}'
            ) as rijen
        ) as c
        inner join onderdrukking_0 as p
            on p.niveau = '{{ level_name(parent) }}' and not {{ suppressed_before(k, 'p.') }}
            {%- for column in partition + parent %}
            and p.{{ column }} is not distinct from c.{{ column }}
            {%- endfor %}
        -- the smallest published row beside the one suppressed; when there is none, the total itself
        where c.onderdrukt_in_groep = 1
          and ((not c.onderdrukt and c.rang = 1) or (c.onderdrukt and c.zichtbaar_in_groep = 0))
    ),
    {%- endfor %}
    secundair_{{ k }} as (
        select rij from secundair_{{ k - 1 }}
        {%- for _ in pairs %}
        union select rij from kandidaat_{{ k }}_{{ loop.index }}
        {%- endfor %}
    ),
    {%- endfor %}
    onderdrukking as (
        select * exclude (rij, primair, secundair),
            primair or secundair as onderdrukt,
            case
                when secundair then 'secundair: zou uit een totaal en de andere cellen af te leiden zijn'
                else {{ suppression_reason('aantal_clienten', 'zonder_identiteit') }}
            end as onderdrukt_reden
        from (
            select *, rij in (select rij from secundair_{{ passes }}) as secundair
            from onderdrukking_0
        ) as r
    ),
{%- endmacro %}

{#- Whether a row of `onderdrukking_0` (`row`: its alias and a dot) is suppressed when pass `pass` begins. -#}
{% macro suppressed_before(pass, row='') -%}
    ({{ row }}primair or {{ row }}rij in (select rij from secundair_{{ pass - 1 }}))
{%- endmacro %}

{#- The figures of a row as published: empty when the row is suppressed. -#}
{% macro published_columns(columns, prefix='') -%}
    {%- for name, type in columns %}
        cast(case when not {{ prefix }}onderdrukt then {{ prefix ~ name }} end as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
