{#- Weekly count per categorie against a robust baseline of the eight weeks before it (median and MAD),
    with where the week's meldingen concentrated, so a dashboard shows when, where and what peaked. -#}
{%- set baseline_weeks = 8 -%}
{%- set min_baseline_weeks = 4 -%}
-- Counted from the week table, already per wijk: reading the meldingen in silver again took as long as the rest.
with per_wijk_week as (
    select
        gemeentecode,
        categorie,
        week_start,
        iso_jaar,
        iso_week,
        wijkcode,
        wijknaam,
        aantal_meldingen
    from {{ ref('fixi_meldingen_week') }}
),

eerste_en_laatste_week as (
    select
        min(week_start) as eerste,
        max(week_start) as laatste
    from per_wijk_week
),

weken as (
    select distinct
        k.week_start,
        k.iso_jaar,
        k.iso_week
    from {{ ref('kalender') }} as k
    inner join eerste_en_laatste_week as r
        on k.week_start between r.eerste and r.laatste
),

categorieen as (
    select distinct categorie
    from per_wijk_week
),

gemeenten as (
    select distinct gemeentecode
    from per_wijk_week
),

-- Every week x categorie, so weeks without meldingen count as zero in the baseline.
raster as (
    select
        g.gemeentecode,
        c.categorie,
        w.week_start,
        w.iso_jaar,
        w.iso_week
    from weken as w
    cross join categorieen as c
    cross join gemeenten as g
),

-- Summed per categorie before it meets the grid: joining every wijk's row to the grid first took longer.
per_categorie_week as (
    select
        gemeentecode,
        categorie,
        week_start,
        sum(aantal_meldingen) as aantal
    from per_wijk_week
    group by gemeentecode, categorie, week_start
),

per_week as (
    select
        r.gemeentecode,
        r.categorie,
        r.week_start,
        r.iso_jaar,
        r.iso_week,
        cast(coalesce(m.aantal, 0) as bigint) as aantal
    from raster as r
    left join per_categorie_week as m
        on r.gemeentecode = m.gemeentecode and r.categorie = m.categorie and r.week_start = m.week_start
),

-- The grid has every week, so the eight weeks before a week are the eight rows before it.
basis as (
    select
        gemeentecode,
        categorie,
        week_start,
        {{ collect_list('aantal') }} over (
            partition by gemeentecode, categorie order by week_start
            rows between {{ baseline_weeks }} preceding and 1 preceding
        ) as voorgaand
    from per_week
),

basis_mediaan as (
    select
        *,
        {{ list_median('voorgaand') }} as verwacht
    from basis
),

mediaan as (
    select
        gemeentecode,
        categorie,
        week_start,
        verwacht,
        {{ list_median_deviation('voorgaand', 'verwacht') }} as mad,
        cardinality(voorgaand) as basisweken
    from basis_mediaan
),

-- The busiest wijk of each week and categorie; of equally busy ones the first by wijkcode.
drukste_wijk as (
    {{ first_per_group('per_wijk_week', ['gemeentecode', 'categorie', 'week_start'], ['-aantal_meldingen', 'wijkcode'],
                       ['wijkcode', 'wijknaam', 'aantal_meldingen']) }}
),

weektotaal as (
    select
        gemeentecode,
        week_start,
        sum(aantal) as totaal
    from per_week
    group by gemeentecode, week_start
),

beoordeeld as (
    select
        w.gemeentecode,
        w.iso_jaar,
        w.iso_week,
        w.week_start,
        w.categorie,
        cast(w.aantal as integer) as aantal_meldingen,
        case when m.basisweken >= {{ min_baseline_weeks }} then cast(m.verwacht as double) end as verwacht_aantal,
        -- 1.4826 x MAD estimates the standard deviation; Poisson noise (sqrt of the level) is the floor.
        case
            when m.basisweken >= {{ min_baseline_weeks }}
                then greatest(1.4826 * m.mad, sqrt(m.verwacht), 1.0)
        end as spreiding,
        t.totaal
    from per_week as w
    left join mediaan as m using (gemeentecode, categorie, week_start)
    inner join weektotaal as t using (gemeentecode, week_start)
),

final as (
    select
        b.gemeentecode,
        b.iso_jaar,
        b.iso_week,
        b.week_start,
        b.categorie,
        b.aantal_meldingen,
        b.verwacht_aantal,
        b.spreiding,
        case when b.verwacht_aantal > 0 then b.aantal_meldingen / b.verwacht_aantal end as verhouding,
        coalesce(
            b.aantal_meldingen >= 5
            and b.aantal_meldingen >= 1.5 * b.verwacht_aantal
            and b.aantal_meldingen > b.verwacht_aantal + 3 * b.spreiding,
            false
        ) as is_piek,
        case when b.totaal > 0 then b.aantal_meldingen / cast(b.totaal as double) end as aandeel_van_week,
        dw.wijkcode as drukste_wijkcode,
        dw.wijknaam as drukste_wijknaam,
        case
            when b.aantal_meldingen > 0 then dw.aantal_meldingen / cast(b.aantal_meldingen as double)
        end as aandeel_drukste_wijk
    from beoordeeld as b
    left join drukste_wijk as dw
        on b.gemeentecode = dw.gemeentecode and b.categorie = dw.categorie and b.week_start = dw.week_start
)

select * from final
