{#- The providers' waiting lists: per law (`wet`), aanbieder and productcategorie, days from toewijzing to the start of
    care, and the toewijzingen still waiting for a start at the peildatum with their age. A toewijzing ended
    (withdrawn or expired) before the peildatum without a start waits no longer; one known only from a change
    (its first delivery was not received) has no toewijzingsdatum to count from and is left out.
    Every level is published per law (`niveau`: the municipality as a whole, per aanbieder, per
    productcategorie, and the cells), each suppressed on its own count and with secondary suppression. -#}
{%- set partition = published_levels('sociaal_domein_wachttijd_aanbieder')['partition'] %}
{%- set levels = published_levels('sociaal_domein_wachttijd_aanbieder')['levels'] %}
with toewijzingen as (
    select
        t.toewijzing_id,
        t.wet,
        t.gemeentecode,
        t.aanbieder,
        t.productcategorie,
        t.persoon_pseudoniem,
        t.toewijzingsdatum,
        l.begindatum,
        case
            when l.begindatum >= t.toewijzingsdatum
                then {{ days_between('t.toewijzingsdatum', 'l.begindatum') }}
        end as wachtdagen_tot_start,
        case
            when l.begindatum is null and (t.einddatum is null or t.einddatum >= {{ peildatum() }})
                then {{ days_between('t.toewijzingsdatum', peildatum()) }}
        end as wachtend_dagen
    from {{ ref('toewijzing') }} as t
    left join {{ ref('levering') }} as l
        on t.wet = l.wet and t.gemeentecode = l.gemeentecode and t.toewijzing_id = l.toewijzing_id
    where t.toewijzingsdatum <= {{ peildatum() }} and t.origineel_ontvangen
),

per_niveau as (
    select
        gemeentecode,
        wet,
        {{ level_of_row(levels) }} as niveau,
        aanbieder,
        productcategorie,
        {{ client_count('persoon_pseudoniem') }} as aantal_clienten,
        {{ records_without_identity('persoon_pseudoniem') }} as zonder_identiteit,
        count(*) as toewijzingen,
        count(wachtdagen_tot_start) as gestart,
        {{ percentile('wachtdagen_tot_start', 0.5) }} as dagen_tot_start_mediaan,
        {{ percentile('wachtdagen_tot_start', 0.9) }} as dagen_tot_start_p90,
        count(wachtend_dagen) as wachtend,
        {{ percentile('wachtend_dagen', 0.5) }} as wachtend_dagen_mediaan,
        max(wachtend_dagen) as wachtend_dagen_max
    from toewijzingen
    -- sqlfluff (4.4) cannot parse DuckDB's grouping sets: its parse error is ignored on this line
    group by {{ level_grouping_sets(partition, levels) }}  -- noqa: PRS
),

{{ secondary_suppression('per_niveau', partition, levels) }}

final as (
    select
        niveau,
        wet,
        gemeentecode,
        aanbieder,
        productcategorie,
        onderdrukt,
        onderdrukt_reden,
        {{ published_columns([('aantal_clienten', 'integer'), ('toewijzingen', 'integer'), ('gestart', 'integer'),
                               ('dagen_tot_start_mediaan', 'double'), ('dagen_tot_start_p90', 'double'),
                               ('wachtend', 'integer'), ('wachtend_dagen_mediaan', 'double'),
                               ('wachtend_dagen_max', 'integer')]) }}
    from onderdrukking
)

select * from final
