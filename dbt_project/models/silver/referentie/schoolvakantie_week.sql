{#- One row per school holiday region and ISO week that is a school holiday week there: at least 3 of its
    weekdays fall in the holiday. The Ministry's holidays run Saturday to Sunday over whole ISO weeks, so a week
    is in or out; the rule only settles the Christmas holiday's January part when New Year falls late in a week. -#}
with dagen as (
    select
        schoolregio,
        datum,
        naam
    from {{ source('bronze', 'schoolvakantie') }}
),

per_week as (
    select
        d.schoolregio,
        k.week_start,
        k.iso_jaar,
        k.iso_week,
        string_agg(distinct d.naam, ', ' order by d.naam) as schoolvakantie,
        cast(count(*) filter (where not k.is_weekend) as integer) as vakantiedagen
    from dagen as d
    inner join {{ ref('kalender') }} as k on d.datum = k.datum
    group by d.schoolregio, k.week_start, k.iso_jaar, k.iso_week
),

final as (
    select
        schoolregio,
        week_start,
        iso_jaar,
        iso_week,
        schoolvakantie,
        vakantiedagen
    from per_week
    where vakantiedagen >= 3
)

select * from final
