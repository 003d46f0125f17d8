{#- Per month in which the step finished, law (`wet`), productcategorie and wijk: days from melding to finished
    onderzoek and from aanvraag to beschikking (median, p90) and the share within the law's statutory terms (seed
    sociaal_domein_termijn; the Jeugdwet has no onderzoek term, so that share is empty for Jeugd).
    Every level is published per law (`niveau`: the municipality as a whole, per productcategorie, per wijk,
    and the cells), each suppressed on its own count and with secondary suppression. -#}
{%- set partition = published_levels('sociaal_domein_doorlooptijden')['partition'] %}
{%- set levels = published_levels('sociaal_domein_doorlooptijden')['levels'] %}
with onderzoek as (
    select
        cast(date_trunc('month', datum_onderzoek_afgerond) as date) as maand_start,
        wet,
        gemeentecode,
        productcategorie,
        wijkcode,
        persoon_pseudoniem,
        doorlooptijd_onderzoek_dagen as dagen,
        'onderzoek' as stap
    from {{ ref('melding_wmo_jeugd') }}
    where doorlooptijd_onderzoek_dagen is not null
),

beschikking as (
    select
        cast(date_trunc('month', datum_beschikking) as date) as maand_start,
        wet,
        gemeentecode,
        productcategorie,
        wijkcode,
        persoon_pseudoniem,
        doorlooptijd_beschikking_dagen as dagen,
        'beschikking' as stap
    from {{ ref('aanvraag_wmo_jeugd') }}
    where doorlooptijd_beschikking_dagen is not null
),

per_niveau as (
    select
        s.maand_start,
        s.gemeentecode,
        wet,
        {{ level_of_row(levels) }} as niveau,
        s.productcategorie,
        s.wijkcode,
        {{ client_count('persoon_pseudoniem') }} as aantal_clienten,
        {{ records_without_identity('persoon_pseudoniem') }} as zonder_identiteit,
        sum(case when stap = 'onderzoek' then 1 else 0 end) as onderzoeken_afgerond,
        {{ percentile("case when stap = 'onderzoek' then dagen end", 0.5) }} as onderzoek_dagen_mediaan,
        {{ percentile("case when stap = 'onderzoek' then dagen end", 0.9) }} as onderzoek_dagen_p90,
        avg(case when stap = 'onderzoek' then cast(s.dagen <= t.termijn_dagen as double) end)
            as onderzoek_aandeel_binnen_termijn,
        sum(case when stap = 'beschikking' then 1 else 0 end) as beschikkingen_afgegeven,
        {{ percentile("case when stap = 'beschikking' then dagen end", 0.5) }} as beschikking_dagen_mediaan,
        {{ percentile("case when stap = 'beschikking' then dagen end", 0.9) }} as beschikking_dagen_p90,
        avg(case when stap = 'beschikking' then cast(s.dagen <= t.termijn_dagen as double) end)
            as beschikking_aandeel_binnen_termijn
    from (
        select * from onderzoek
        union all
        select * from beschikking
    ) as s
    left join {{ ref('sociaal_domein_termijn') }} as t using (wet, stap)
    -- sqlfluff (4.4) cannot parse DuckDB's grouping sets: its parse error is ignored on this line
    group by {{ level_grouping_sets(partition, levels) }}  -- noqa: PRS
),

{{ secondary_suppression('per_niveau', partition, levels) }}

final as (
    select
        maand_start,
        niveau,
        wet,
        gemeentecode,
        productcategorie,
        wijkcode,
        onderdrukt,
        onderdrukt_reden,
        {{ published_columns([('aantal_clienten', 'integer'), ('onderzoeken_afgerond', 'integer'),
                               ('onderzoek_dagen_mediaan', 'double'), ('onderzoek_dagen_p90', 'double'),
                               ('onderzoek_aandeel_binnen_termijn', 'double'), ('beschikkingen_afgegeven', 'integer'),
                               ('beschikking_dagen_mediaan', 'double'), ('beschikking_dagen_p90', 'double'),
                               ('beschikking_aandeel_binnen_termijn', 'double')]) }}
    from onderdrukking
)

select * from final
