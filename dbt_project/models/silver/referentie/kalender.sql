{#- One row per day with the facts every model counts with: ISO week, month, and working days. It runs to the
    end of the last year with public holidays in bronze (the peildatum's year plus eleven), so it changes once a
    year, not with every peildatum. -#}
with feestdagen as (
    select
        datum,
        min(naam) as feestdag_naam
    from {{ source('bronze', 'feestdag') }}
    group by datum
),

dagen as (
    {{ date_series("'2000-01-01'", "(select make_date(cast(max(year(datum)) as integer), 12, 31) from feestdagen)") }}
),

gemarkeerd as (
    select
        dagen.datum,
        cast(extract(isoyear from dagen.datum) as integer) as iso_jaar,
        cast(extract(week from dagen.datum) as integer) as iso_week,
        cast(date_trunc('week', dagen.datum) as date) as week_start,
        cast(date_trunc('month', dagen.datum) as date) as maand_start,
        extract(isodow from dagen.datum) >= 6 as is_weekend,
        feestdagen.datum is not null as is_feestdag,
        feestdagen.feestdag_naam
    from dagen
    left join feestdagen on dagen.datum = feestdagen.datum
),

final as (
    select
        *,
        not is_weekend and not is_feestdag as is_werkdag,
        cast(sum(case when not is_weekend and not is_feestdag then 1 else 0 end)
            over (order by datum rows between unbounded preceding and current row)
        as integer) as werkdag_volgnummer
    from gemarkeerd
)

select * from final
