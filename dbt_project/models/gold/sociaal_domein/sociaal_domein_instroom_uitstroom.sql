{#- Why the waiting list grows: per week (ending on `peildatum`, a Sunday), law and phase of the wait, how many
    waits began (instroom), how many ended (uitstroom), the net change and how many were open at the end of the week,
    also per 1,000 inhabitants of the law's age group (CBS kerncijfers wijken en buurten: Wmo all inhabitants,
    as CBS's Wmo figures; Jeugd 0 to 24 years, CBS's age groups nearest the Jeugdwet's 0 to 23).
    Phases (`fase`): melding (melding to finished onderzoek), aanvraag (aanvraag to beschikking), verzoek (an
    aanbieder's verzoek om toewijzing to the toewijzing) and aanbieder (toewijzing to the start of care; a
    toewijzing that ended without a start leaves the list on its einddatum).
    Published per law and level (`niveau`): the municipality as a whole, and by productcategorie, wijk,
    aanbieder and, for Jeugd, verwijzer (COD327). A Jeugd melding or aanvraag at the municipality, and a
    toewijzing without a verzoek, came through the gemeente (verwijzer 01). Every level is suppressed on its own
    count, with secondary suppression. -#}
{%- set partition = published_levels('sociaal_domein_instroom_uitstroom')['partition'] %}
{%- set levels = published_levels('sociaal_domein_instroom_uitstroom')['levels'] %}
with wachtperioden as (
    select
        wet,
        gemeentecode,
        'melding' as fase,
        persoon_pseudoniem,
        productcategorie,
        wijkcode,
        cast(null as varchar) as aanbieder,
        case when wet = 'jeugdwet' then '01' end as verwijzer_type,
        datum_melding as begin_wachten,
        datum_onderzoek_afgerond as einde_wachten
    from {{ ref('melding_wmo_jeugd') }}
    union all
    select
        wet,
        gemeentecode,
        'aanvraag' as fase,
        persoon_pseudoniem,
        productcategorie,
        wijkcode,
        null as aanbieder,
        case when wet = 'jeugdwet' then '01' end as verwijzer_type,
        datum_aanvraag as begin_wachten,
        datum_beschikking as einde_wachten
    from {{ ref('aanvraag_wmo_jeugd') }}
    union all
    select
        wet,
        gemeentecode,
        'verzoek' as fase,
        persoon_pseudoniem,
        productcategorie,
        wijkcode,
        aanbieder,
        verwijzer_type,
        datum_verzoek as begin_wachten,
        toewijzingsdatum as einde_wachten
    from {{ ref('verzoek_om_toewijzing') }}
    union all
    select
        t.wet,
        t.gemeentecode,
        'aanbieder' as fase,
        t.persoon_pseudoniem,
        t.productcategorie,
        t.wijkcode,
        t.aanbieder,
        coalesce(v.verwijzer_type, case when t.wet = 'jeugdwet' then '01' end) as verwijzer_type,
        t.toewijzingsdatum as begin_wachten,
        coalesce(l.begindatum, t.einddatum) as einde_wachten
    from {{ ref('toewijzing') }} as t
    left join {{ ref('levering') }} as l
        on t.wet = l.wet and t.gemeentecode = l.gemeentecode and t.toewijzing_id = l.toewijzing_id
    left join {{ ref('verzoek_om_toewijzing') }} as v
        on t.wet = v.wet and t.gemeentecode = v.gemeentecode and t.toewijzing_id = v.toewijzing_id
    where t.origineel_ontvangen
),

peildata as (
    select distinct datum as peildatum
    from {{ ref('kalender') }}
    where
        extract(isodow from datum) = 7
        and datum between (select min(w.begin_wachten) from wachtperioden as w) + 6 and {{ peilzondag() }}
),

{# The first and last week (ending on its peildatum) of the weeks counted. -#}
weken as (
    select
        min(peildatum) as eerste,
        max(peildatum) as laatste
    from peildata
),

{# The weeks of each waiting period: from the week it began in to the week it ended in, or the last week while
    it is still open; `weekly_waiting` counts them per level. -#}
perioden as (
    select
        w.gemeentecode,
        w.wet,
        w.fase,
        w.productcategorie,
        w.wijkcode,
        w.aanbieder,
        w.verwijzer_type,
        w.persoon_pseudoniem,
        greatest({{ week_end('w.begin_wachten') }}, k.eerste) as eerste_week,
        least(coalesce({{ week_end('w.einde_wachten') }}, k.laatste), k.laatste) as laatste_week,
        case when {{ week_end('w.begin_wachten') }} >= k.eerste then 1 else 0 end as ingestroomd,
        case when {{ week_end('w.einde_wachten') }} <= k.laatste then 1 else 0 end as uitgestroomd,
        case when w.persoon_pseudoniem is null then 1 else 0 end as zonder_identiteit
    from wachtperioden as w
    cross join weken as k
    -- waiting in a week counted: begun by the last one, and not ended before the first
    where
        w.begin_wachten is not null
        and (w.einde_wachten is null or w.einde_wachten >= w.begin_wachten)
        and {{ week_end('w.begin_wachten') }} <= k.laatste
        and (w.einde_wachten is null or {{ week_end('w.einde_wachten') }} >= k.eerste)
),

{{ weekly_waiting('perioden', partition | reject('equalto', 'peildatum') | list, levels) }}

per_niveau as (
    select
        peildatum,
        gemeentecode,
        fase,
        niveau,
        wet,
        productcategorie,
        wijkcode,
        aanbieder,
        verwijzer_type,
        {{ fewest_persons('clienten', 'zonder_identiteit') }} as aantal_clienten,
        zonder_identiteit,
        instroom,
        uitstroom,
        instroom - uitstroom as netto,
        perioden - uitstroom as wachtend
    from per_week
),

{{ secondary_suppression('per_niveau', partition, levels) }}

inwoners as (
    select
        gemeentecode,
        wijkcode,
        sum(aantal_inwoners) as alle,
        sum(inwoners_0_14 + inwoners_15_24) as jeugd
    from {{ ref('wijk_buurt') }}
    -- sqlfluff (4.4) cannot parse DuckDB's grouping sets: its parse error is ignored on this line
    group by grouping sets ((gemeentecode), (gemeentecode, wijkcode))  -- noqa: PRS
),

final as (
    select
        c.peildatum,
        c.gemeentecode,
        c.fase,
        c.niveau,
        c.wet,
        c.productcategorie,
        pc.omschrijving as productcategorie_omschrijving,
        c.wijkcode,
        c.aanbieder,
        c.verwijzer_type,
        vw.omschrijving as verwijzer_omschrijving,
        c.onderdrukt,
        c.onderdrukt_reden,
        {{ published_columns([('aantal_clienten', 'integer'), ('instroom', 'integer'), ('uitstroom', 'integer'),
                              ('netto', 'integer'), ('wachtend', 'integer')], prefix='c.') }},
        case
            when not c.onderdrukt and (c.niveau = 'gemeente' or (c.niveau = 'wijk' and c.wijkcode is not null))
                then round(
                    1000.0 * c.wachtend / nullif(case when c.wet = 'jeugdwet' then i.jeugd else i.alle end, 0), 2
                )
        end as wachtend_per_1000_inwoners
    from onderdrukking as c
    left join inwoners as i on c.gemeentecode = i.gemeentecode and i.wijkcode is not distinct from c.wijkcode
    left join {{ ref('productcategorie') }} as pc on c.wet = pc.wet and c.productcategorie = pc.code
    left join {{ ref('jeugd_verwijzer') }} as vw on c.wet = 'jeugdwet' and c.verwijzer_type = vw.code
    -- levels that split nothing: Wmo has no verwijzer, a melding or aanvraag no aanbieder yet
    where
        not (c.niveau = 'verwijzer' and c.wet = 'wmo')
        and not (c.niveau = 'aanbieder' and c.fase in ('melding', 'aanvraag'))
)

select * from final
