{#- Applications per month and soort: realised for past months, expected for the coming 24 months.

    Method: each application is tied to the applicant's document of the same soort that ends nearest to it
    (within a year); the offset in months between application and end of validity is the renewal behaviour.
    For an origin month, the behaviour is measured on documents that ended in the 24 months up to 6 months
    before the origin (so their renewals could be seen): the share renewed at each offset from -6 to +6
    months. Expected applications in a month = sum over offsets of (documents ending offset months later)
    x (share at that offset), plus the monthly average of applications not tied to an ending document
    (first documents, replacements) over the 12 months before the origin.
    The backtest runs the same method from an origin 12 months back and sets it beside what happened.
    With too little history (no applications, fewer than {{ min_history }} months of them before the peildatum, or
    none of the soort) the expected numbers lack the renewal behaviour: no month is flagged a peak then (all-zero
    months would each be "1.2 x the average"), and prognose_beperking says why.
    Shares and sums are exact decimals: a sum of doubles differs in its last bits with the order DuckDB's threads
    add it up, and rounding to cents carried that into the published figure (seen at national scale). -#}
{%- set max_offset = 6 -%}
{%- set min_history = 12 -%}
with soorten as (
    select
        code as soort,
        minuten_per_aanvraag
    from {{ ref('reisdocument_soort') }}
    where in_prognose
),

documenten as (
    select d.* from {{ ref('reisdocument') }} as d inner join soorten using (soort)
    where not d.houder_onbepaald
),

aanvragen as (
    select a.* from {{ ref('reisdocument_aanvraag') }} as a inner join soorten using (soort)
),

gemeente_soort as (
    select
        g.gemeentecode,
        s.soort
    from (
        select gemeentecode from documenten
        union
        select gemeentecode from aanvragen
    ) as g
    cross join soorten as s
),

aanvraaghistorie as (
    select
        gemeentecode,
        min(aanvraagdatum) as eerste_aanvraag
    from aanvragen
    group by gemeentecode
),

soorthistorie as (
    select
        gemeentecode,
        soort,
        count(*) as aanvragen
    from aanvragen
    group by gemeentecode, soort
),

beperking as (
    select
        gs.gemeentecode,
        gs.soort,
        case
            when h.eerste_aanvraag is null then 'geen aanvraaghistorie'
            when {{ month_index(peilmaand()) }} - {{ month_index('h.eerste_aanvraag') }} < {{ min_history }}
                then 'minder dan {{ min_history }} maanden aanvraaghistorie'
            when sh.aanvragen is null then 'geen aanvragen van deze soort'
        end as prognose_beperking
    from gemeente_soort as gs
    left join aanvraaghistorie as h on gs.gemeentecode = h.gemeentecode
    left join soorthistorie as sh on gs.gemeentecode = sh.gemeentecode and gs.soort = sh.soort
),

oorsprong as (
    select
        'prognose' as doel,
        {{ peilmaand() }} as maand,
        24 as horizon
    union all
    select
        'backtest' as doel,
        {{ add_months(peilmaand(), -12) }} as maand,
        12 as horizon
),

koppeling as (
    select
        a.gemeentecode,
        a.aanvraagnummer,
        a.soort,
        a.aanvraagdatum,
        d.datum_einde_geldigheid,
        {{ month_index('a.aanvraagdatum') }} - {{ month_index('d.datum_einde_geldigheid') }} as verschuiving,
        row_number() over (
            partition by a.gemeentecode, a.aanvraagnummer
            order by abs({{ days_between('d.datum_einde_geldigheid', 'a.aanvraagdatum') }}), d.reisdocumentnummer
        ) as volgorde
    from aanvragen as a
    inner join documenten as d
        on
            a.gemeentecode = d.gemeentecode and a.persoon_pseudoniem = d.persoon_pseudoniem and a.soort = d.soort
            and a.aanvraagdatum > d.datum_uitgifte
            and d.datum_einde_geldigheid
            between {{ add_months('a.aanvraagdatum', -12) }} and {{ add_months('a.aanvraagdatum', 12) }}
),

verlenging as (
    select * from koppeling
    where volgorde = 1 and verschuiving between -{{ max_offset }} and {{ max_offset }}
),

meetvenster as (
    select
        doel,
        maand,
        {{ add_months('maand', -30) }} as van,
        {{ add_months('maand', -max_offset) }} as tot
    from oorsprong
),

geeindigd_in_venster as (
    select
        v.doel,
        d.gemeentecode,
        d.soort,
        count(*) as documenten
    from meetvenster as v
    inner join documenten as d on v.van <= d.datum_einde_geldigheid and v.tot > d.datum_einde_geldigheid
    group by v.doel, d.gemeentecode, d.soort
),

gedrag as (
    select
        v.doel,
        r.gemeentecode,
        r.soort,
        r.verschuiving,
        cast(count(*) / max(g.documenten) as decimal(18, 12)) as kans
    from meetvenster as v
    inner join verlenging as r
        on
            v.van <= r.datum_einde_geldigheid and v.tot > r.datum_einde_geldigheid
            and v.maand > r.aanvraagdatum
    inner join geeindigd_in_venster as g on v.doel = g.doel and r.gemeentecode = g.gemeentecode and r.soort = g.soort
    group by v.doel, r.gemeentecode, r.soort, r.verschuiving
),

los as (
    select a.*
    from aanvragen as a
    left join verlenging as r using (gemeentecode, aanvraagnummer)
    where r.aanvraagnummer is null
),

basis as (
    select
        o.doel,
        gs.gemeentecode,
        gs.soort,
        cast(count(l.aanvraagnummer) / 12 as decimal(18, 12)) as per_maand
    from oorsprong as o
    cross join gemeente_soort as gs
    left join los as l
        on
            gs.gemeentecode = l.gemeentecode and gs.soort = l.soort
            and l.aanvraagdatum >= {{ add_months('o.maand', -12) }} and o.maand > l.aanvraagdatum
    group by o.doel, gs.gemeentecode, gs.soort
),

einde_per_maand as (
    select
        gemeentecode,
        soort,
        cast(date_trunc('month', datum_einde_geldigheid) as date) as maand_start,
        count(*) as documenten
    from documenten
    where not vervallen_voor_einde
    group by gemeentecode, soort, cast(date_trunc('month', datum_einde_geldigheid) as date)
),

stappen as (
    select range as stap
    from range(0, 24)
),

horizon as (
    select
        o.doel,
        gs.gemeentecode,
        gs.soort,
        {{ add_months('o.maand', 'n.stap') }} as maand_start
    from oorsprong as o
    cross join gemeente_soort as gs
    cross join stappen as n
    where n.stap < o.horizon
),

verwacht as (
    select
        h.doel,
        h.gemeentecode,
        h.soort,
        h.maand_start,
        coalesce(sum(e.documenten * g.kans), 0) + max(b.per_maand) as aanvragen
    from horizon as h
    inner join basis as b on h.doel = b.doel and h.gemeentecode = b.gemeentecode and h.soort = b.soort
    left join gedrag as g on h.doel = g.doel and h.gemeentecode = g.gemeentecode and h.soort = g.soort
    left join einde_per_maand as e
        on
            h.gemeentecode = e.gemeentecode and h.soort = e.soort
            and e.maand_start = {{ add_months('h.maand_start', '-g.verschuiving') }}
    group by h.doel, h.gemeentecode, h.soort, h.maand_start
),

gerealiseerd as (
    select
        gemeentecode,
        soort,
        cast(date_trunc('month', aanvraagdatum) as date) as maand_start,
        count(*) as aanvragen
    from aanvragen
    group by gemeentecode, soort, cast(date_trunc('month', aanvraagdatum) as date)
),

maanden as (
    select
        gemeentecode,
        soort,
        maand_start
    from gerealiseerd
    union
    select
        gemeentecode,
        soort,
        maand_start
    from horizon
    where doel = 'prognose'
),

samen as (
    select
        m.gemeentecode,
        m.maand_start,
        m.soort,
        m.maand_start < {{ peilmaand() }} as verleden,
        cast(r.aanvragen as integer) as gerealiseerd,
        cast(round(p.aanvragen, 2) as double) as verwacht,
        cast(round(b.aanvragen, 2) as double) as backtest_verwacht
    from maanden as m
    left join gerealiseerd as r using (gemeentecode, soort, maand_start)
    left join verwacht as p
        on
            p.doel = 'prognose'
            and m.gemeentecode = p.gemeentecode
            and m.soort = p.soort
            and m.maand_start = p.maand_start
    left join verwacht as b
        on
            b.doel = 'backtest'
            and m.gemeentecode = b.gemeentecode
            and m.soort = b.soort
            and m.maand_start = b.maand_start
),

final as (
    select
        s.gemeentecode,
        s.maand_start,
        s.soort,
        s.verleden,
        case when s.verleden then coalesce(s.gerealiseerd, 0) end as gerealiseerd,
        s.verwacht,
        s.backtest_verwacht,
        case
            when s.verleden and s.backtest_verwacht is not null and s.gerealiseerd > 0
                then (s.backtest_verwacht - s.gerealiseerd) / s.gerealiseerd
        end as backtest_afwijking,
        b.prognose_beperking is null and coalesce(s.verwacht, s.gerealiseerd)
        >= 1.2
        * avg(cast(coalesce(s.verwacht, s.gerealiseerd) as decimal(18, 2))) over (partition by s.gemeentecode, s.soort)
            as is_piek,
        b.prognose_beperking,
        round(coalesce(s.verwacht, s.gerealiseerd) * so.minuten_per_aanvraag / 60.0, 1) as baliefuncties_uren
    from samen as s
    inner join soorten as so using (soort)
    inner join beperking as b on s.gemeentecode = b.gemeentecode and s.soort = b.soort
)

select * from final
