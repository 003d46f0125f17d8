{#- One row per day with the facts every model counts with: ISO week, month, and working days. -#}
with dagen as (
    {{ date_series("'2000-01-01'", peildatum() ~ " + interval 11 year") }}
),

feestdagen as (
    select datum, min(naam) as feestdag_naam
    from {{ source('bronze', 'feestdag') }}
    group by datum
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
    left join feestdagen on feestdagen.datum = dagen.datum
),

final as (
    select
        *,
        not is_weekend and not is_feestdag as is_werkdag,
        cast(sum(case when not is_weekend and not is_feestdag then 1 else 0 end)
            over (order by datum rows between unbounded preceding and current row) as integer) as werkdag_volgnummer
    from gemarkeerd
)

select * from final
