{#- The social-domain waiting list at the end of each week, per law (`wet`): open meldingen (onderzoek not
    finished) and open aanvragen (no beschikking yet), per productcategorie and wijk, in waiting-time bands and
    past the statutory term of the law (seed sociaal_domein_termijn: Wmo 6 weeks after the melding and 2 weeks
    after the aanvraag; Jeugd 8 weeks after the aanvraag, and no onderzoek term, so its meldingen_over_termijn
    is empty).
    Every level is published per law, each suppressed on its own count and with secondary suppression
    (`niveau`): the municipality as a whole, per productcategorie, per wijk, and the cells (wijk and
    productcategorie). A total is read from its own row, never summed from cells. -#}
{%- set partition = published_levels('sociaal_domein_wachtlijst')['partition'] %}
{%- set levels = published_levels('sociaal_domein_wachtlijst')['levels'] %}
with peildata as (
    select distinct datum as peildatum
    from {{ ref('kalender') }}
    where
        extract(isodow from datum) = 7
        and datum between (select min(m.datum_melding) from {{ ref('melding_wmo_jeugd') }} as m) and {{ peilzondag() }}
),

open_meldingen as (
    select
        p.peildatum,
        m.wet,
        m.gemeentecode,
        m.productcategorie,
        m.wijkcode,
        m.persoon_pseudoniem,
        {{ days_between('m.datum_melding', 'p.peildatum') }} as wachtdagen,
        'melding' as soort
    from {{ ref('melding_wmo_jeugd') }} as m
    inner join peildata as p
        on
            m.datum_melding <= p.peildatum
            and (m.datum_onderzoek_afgerond is null or m.datum_onderzoek_afgerond > p.peildatum)
),

open_aanvragen as (
    select
        p.peildatum,
        a.wet,
        a.gemeentecode,
        a.productcategorie,
        a.wijkcode,
        a.persoon_pseudoniem,
        {{ days_between('a.datum_aanvraag', 'p.peildatum') }} as wachtdagen,
        'aanvraag' as soort
    from {{ ref('aanvraag_wmo_jeugd') }} as a
    inner join peildata as p
        on
            a.datum_aanvraag <= p.peildatum
            and (a.datum_beschikking is null or a.datum_beschikking > p.peildatum)
),

termijnen as (
    select
        wet,
        max(case when stap = 'onderzoek' then termijn_dagen end) as onderzoek_termijn,
        max(case when stap = 'beschikking' then termijn_dagen end) as beschikking_termijn
    from {{ ref('sociaal_domein_termijn') }}
    group by wet
),

per_niveau as (
    select
        w.peildatum,
        w.gemeentecode,
        wet,
        {{ level_of_row(levels) }} as niveau,
        w.productcategorie,
        w.wijkcode,
        {{ client_count('persoon_pseudoniem') }} as aantal_clienten,
        {{ records_without_identity('persoon_pseudoniem') }} as zonder_identiteit,
        sum(case when w.soort = 'melding' then 1 else 0 end) as open_meldingen,
        sum(case when w.soort = 'melding' and w.wachtdagen <= 14 then 1 else 0 end) as meldingen_0_2_weken,
        sum(case when w.soort = 'melding' and w.wachtdagen between 15 and 28 then 1 else 0 end) as meldingen_2_4_weken,
        sum(case when w.soort = 'melding' and w.wachtdagen between 29 and 42 then 1 else 0 end) as meldingen_4_6_weken,
        case
            when max(t.onderzoek_termijn) is not null
                then sum(case when w.soort = 'melding' and w.wachtdagen > t.onderzoek_termijn then 1 else 0 end)
        end as meldingen_over_termijn,
        sum(case when w.soort = 'aanvraag' then 1 else 0 end) as open_aanvragen,
        sum(case when w.soort = 'aanvraag' and w.wachtdagen <= t.beschikking_termijn then 1 else 0 end)
            as aanvragen_binnen_termijn,
        sum(case when w.soort = 'aanvraag' and w.wachtdagen > t.beschikking_termijn then 1 else 0 end)
            as aanvragen_over_termijn
    from (
        select * from open_meldingen
        union all
        select * from open_aanvragen
    ) as w
    left join termijnen as t using (wet)
    -- sqlfluff (4.4) cannot parse DuckDB's grouping sets: its parse error is ignored on this line
    group by {{ level_grouping_sets(partition, levels) }}  -- noqa: PRS
),

{{ secondary_suppression('per_niveau', partition, levels) }}

final as (
    select
        c.peildatum,
        c.niveau,
        c.wet,
        c.gemeentecode,
        c.productcategorie,
        pc.omschrijving as productcategorie_omschrijving,
        c.wijkcode,
        c.onderdrukt,
        c.onderdrukt_reden,
        {{ published_columns([('aantal_clienten', 'integer'), ('open_meldingen', 'integer'),
                              ('meldingen_0_2_weken', 'integer'), ('meldingen_2_4_weken', 'integer'),
                              ('meldingen_4_6_weken', 'integer'), ('meldingen_over_termijn', 'integer'),
                              ('open_aanvragen', 'integer'), ('aanvragen_binnen_termijn', 'integer'),
                              ('aanvragen_over_termijn', 'integer')], prefix='c.') }}
    from onderdrukking as c
    left join {{ ref('productcategorie') }} as pc on c.wet = pc.wet and c.productcategorie = pc.code
)

select * from final
