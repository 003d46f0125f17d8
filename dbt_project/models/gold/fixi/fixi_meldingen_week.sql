{#- Meldingen per ISO week, categorie and wijk, with how many of them were handled and how fast. -#}
with meldingen as (
    select * from {{ ref('fixi_melding') }}
),

kalender as (
    select datum, iso_jaar, iso_week, week_start from {{ ref('kalender') }}
),

final as (
    select
        m.gemeentecode,
        k.iso_jaar,
        k.iso_week,
        k.week_start,
        m.categorie,
        m.wijkcode,
        coalesce(m.wijknaam, 'Onbekend') as wijknaam,
        cast(count(*) as integer) as aantal_meldingen,
        cast(sum(case when m.status = 'afgehandeld' then 1 else 0 end) as integer) as aantal_afgehandeld,
        {{ percentile('m.doorlooptijd_werkdagen', 0.5) }} as doorlooptijd_werkdagen_mediaan,
        {{ percentile('m.doorlooptijd_werkdagen', 0.9) }} as doorlooptijd_werkdagen_p90,
        {{ percentile('m.doorlooptijd_dagen', 0.5) }} as doorlooptijd_dagen_mediaan,
        {{ percentile('m.doorlooptijd_dagen', 0.9) }} as doorlooptijd_dagen_p90
    from meldingen as m
    inner join kalender as k on k.datum = cast(m.datum_melding as date)
    group by m.gemeentecode, k.iso_jaar, k.iso_week, k.week_start, m.categorie, m.wijkcode, coalesce(m.wijknaam, 'Onbekend')
)

select * from final
