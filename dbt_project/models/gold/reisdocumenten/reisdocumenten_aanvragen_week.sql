{#- Realised applications per ISO week, soort and counter location, with the public holidays of the week. -#}
with aanvragen as (
    select * from {{ ref('reisdocument_aanvraag') }}
),

kalender as (
    select * from {{ ref('kalender') }}
),

feestdagen_per_week as (
    select
        week_start,
        cast(sum(case when is_feestdag then 1 else 0 end) as integer) as feestdagen,
        string_agg(feestdag_naam, ', ' order by datum) as feestdag_namen
    from kalender
    group by week_start
),

final as (
    select
        a.gemeentecode,
        k.iso_jaar,
        k.iso_week,
        k.week_start,
        a.soort,
        coalesce(a.locatie, 'onbekend') as locatie,
        cast(count(*) as integer) as aantal_aanvragen,
        cast(sum(case when a.spoed then 1 else 0 end) as integer) as aantal_spoed,
        f.feestdagen,
        f.feestdag_namen
    from aanvragen as a
    inner join kalender as k on a.aanvraagdatum = k.datum
    inner join feestdagen_per_week as f on k.week_start = f.week_start
    group by
        a.gemeentecode, k.iso_jaar, k.iso_week, k.week_start, a.soort, coalesce(a.locatie, 'onbekend'),
        f.feestdagen, f.feestdag_namen
)

select * from final
