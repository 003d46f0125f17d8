{#- Meldingen per ISO week, categorie and wijk, with how many of them were handled and how fast. -#}
with meldingen as (
    select * from {{ ref('fixi_melding') }}
),

kalender as (
    select datum, iso_jaar, iso_week, week_start from {{ ref('kalender') }}
),

per_groep as (
    select
        m.gemeentecode,
        k.iso_jaar,
        k.iso_week,
        k.week_start,
        m.categorie,
        m.wijkcode,
        coalesce(m.wijknaam, 'Onbekend') as wijknaam,
        count(*) as aantal_meldingen,
        sum(case when m.status = 'afgehandeld' then 1 else 0 end) as aantal_afgehandeld,
        {{ percentiles('m.doorlooptijd_werkdagen', [0.5, 0.9]) }} as doorlooptijd_werkdagen,
        {{ percentiles('m.doorlooptijd_dagen', [0.5, 0.9]) }} as doorlooptijd_dagen
    from meldingen as m
    inner join kalender as k on k.datum = cast(m.datum_melding as date)
    group by m.gemeentecode, k.iso_jaar, k.iso_week, k.week_start, m.categorie, m.wijkcode, coalesce(m.wijknaam, 'Onbekend')
),

final as (
    select
        gemeentecode,
        iso_jaar,
        iso_week,
        week_start,
        categorie,
        wijkcode,
        wijknaam,
        cast(aantal_meldingen as integer) as aantal_meldingen,
        cast(aantal_afgehandeld as integer) as aantal_afgehandeld,
        {{ list_item('doorlooptijd_werkdagen', 1) }} as doorlooptijd_werkdagen_mediaan,
        {{ list_item('doorlooptijd_werkdagen', 2) }} as doorlooptijd_werkdagen_p90,
        {{ list_item('doorlooptijd_dagen', 1) }} as doorlooptijd_dagen_mediaan,
        {{ list_item('doorlooptijd_dagen', 2) }} as doorlooptijd_dagen_p90
    from per_groep
)

select * from final
