{#- Expected meldingen per categorie for the coming {{ horizon }} weeks, from the weekly counts of fixi_pieken.

    Method, per municipality and categorie, from an origin week (the Monday after the last complete week):
    - season: the average of the same weeks of earlier years (the week itself and {{ window }} weeks either side,
      52, 104, ... weeks back), leaving out weeks with a public holiday, and taking of those only the weeks that
      were in the same school holiday of the municipality's region (silver schoolvakantie_week) when the week is
      in one, or in none when it is not: the summer holiday moves by a week or two from year to year and region to
      region, and a week in it is compared with the holiday weeks of earlier years, a week outside it with the
      school weeks (when no such week is in the window, all its weeks);
    - holiday: a week with a public holiday (kalender) is multiplied by how that holiday's weeks compared to
      the holiday-free weeks around them in earlier years (between 0.5 and 5);
    - trend: the last 13 weeks against the same 13 weeks a year earlier (between 0.7 and 1.5);
    - weather as climatology: no weather forecast is delivered, so storms, frost and rain enter only as the
      earlier years' same weeks held them; the band is as wide as those weeks varied (at least Poisson noise).
    verwacht = season x holiday x trend; the 90% band is verwacht -/+ 1.645 x that spread. A week is a likely peak
    when verwacht reaches 1.5 x the median of the last 8 weeks (the rule fixi_pieken flags peaks with).
    The backtest runs the same method from the origins 8, 16, ... 48 weeks back (each forecasting its 8 weeks),
    so each of the last 48 weeks has a forecast made 1 to 8 weeks ahead beside what happened; backtest_fout is
    the categorie's weighted absolute error over them (sum |forecast - actual| / sum actual).
    A categorie with less than {{ min_history }} weeks of history gets no forecast, and prognose_beperking says so. -#}
{%- set horizon = 8 -%}
{%- set window = 2 -%}
{%- set min_history = 60 -%}
{%- set backtests = 6 -%}
with oorsprong_week as (
    select cast({{ peilzondag() }} + 1 as date) as week_start
),

schoolvakanties as (
    select * from {{ schoolvakantie_weken(ref('fixi_pieken')) }}
),

-- The weekly grid of fixi_pieken (every week, zero when nothing came in), up to the last complete week.
reeks as (
    select
        p.gemeentecode,
        p.categorie,
        p.week_start,
        p.aantal_meldingen as aantal,
        f.week_start is not null as is_feestweek,
        v.schoolvakantie
    from {{ ref('fixi_pieken') }} as p
    left join {{ feestdag_weken() }} as f on p.week_start = f.week_start
    left join schoolvakanties as v on p.gemeentecode = v.gemeentecode and p.week_start = v.week_start
    where p.week_start < (select o.week_start from oorsprong_week as o)
),

historie as (
    select
        gemeentecode,
        categorie,
        min(week_start) filter (where aantal > 0) as eerste_week
    from reeks
    group by gemeentecode, categorie
),

oorsprong as (
    select
        'prognose' as doel,
        week_start as oorsprong
    from oorsprong_week
    union all
    select
        'backtest' as doel,
        cast(o.week_start - cast(7 * {{ horizon }} * b.range as integer) as date) as oorsprong
    from oorsprong_week as o cross join range(1, {{ backtests + 1 }}) as b
),

doelweek as (
    select
        o.doel,
        o.oorsprong,
        h.gemeentecode,
        h.categorie,
        cast(o.oorsprong + cast(7 * n.range as integer) as date) as week_start,
        f.feestdag_naam,
        v.schoolvakantie
    from oorsprong as o
    cross join historie as h
    cross join range(0, {{ horizon }}) as n
    left join {{ feestdag_weken() }} as f on f.week_start = cast(o.oorsprong + cast(7 * n.range as integer) as date)
    left join schoolvakanties as v
        on h.gemeentecode = v.gemeentecode and v.week_start = cast(o.oorsprong + cast(7 * n.range as integer) as date)
),

-- The same weeks of earlier years, known at the origin, without public holidays; of those the weeks in the
-- same school holiday as the target week (or in none), when there are any.
seizoen_weken as (
    select
        d.doel,
        d.oorsprong,
        d.gemeentecode,
        d.categorie,
        d.week_start,
        (r.schoolvakantie is not distinct from d.schoolvakantie) as zelfde_vakantie,
        r.aantal
    from doelweek as d
    inner join reeks as r
        on
            d.gemeentecode = r.gemeentecode and d.categorie = r.categorie and d.oorsprong > r.week_start
            and not r.is_feestweek
            and abs(
                datediff('day', r.week_start, d.week_start)
                - 364 * round(datediff('day', r.week_start, d.week_start) / 364)
            ) <= 7 * {{ window }}
            and datediff('day', r.week_start, d.week_start) >= 364 - 7 * {{ window }}
),

seizoen as (
    select
        doel,
        oorsprong,
        gemeentecode,
        categorie,
        week_start,
        coalesce(avg(aantal) filter (where zelfde_vakantie), avg(aantal)) as seizoen,
        coalesce(
            {{ exact_stddev_samp('aantal', 'zelfde_vakantie') }}, {{ exact_stddev_samp('aantal', 'true') }}
        ) as seizoen_spreiding
    from seizoen_weken
    group by doel, oorsprong, gemeentecode, categorie, week_start
),

-- How each holiday's weeks compared to the holiday-free weeks around them.
feesteffect_per_keer as (
    select
        r.gemeentecode,
        r.categorie,
        r.week_start,
        f.feestdag_naam,
        r.aantal / nullif(avg(b.aantal), 0) as verhouding
    from reeks as r
    inner join {{ feestdag_weken() }} as f on r.week_start = f.week_start
    inner join reeks as b
        on
            r.gemeentecode = b.gemeentecode and r.categorie = b.categorie and not b.is_feestweek
            and b.week_start between r.week_start - 14 and r.week_start + 14
    group by r.gemeentecode, r.categorie, r.week_start, f.feestdag_naam, r.aantal
),

feesteffect as (
    select
        d.doel,
        d.oorsprong,
        d.gemeentecode,
        d.categorie,
        d.week_start,
        -- Averaged as decimals, so exactly (see final).
        least(greatest(avg(cast(e.verhouding as decimal(18, 9))), 0.5), 5.0) as factor
    from doelweek as d
    inner join feesteffect_per_keer as e
        on
            d.gemeentecode = e.gemeentecode and d.categorie = e.categorie and d.feestdag_naam = e.feestdag_naam
            and e.week_start + 14 < d.oorsprong
    group by d.doel, d.oorsprong, d.gemeentecode, d.categorie, d.week_start
),

trend as (
    select
        o.doel,
        o.oorsprong,
        r.gemeentecode,
        r.categorie,
        least(greatest(
            sum(r.aantal) filter (where r.week_start >= o.oorsprong - 91)
            / nullif(
                sum(r.aantal) filter (where r.week_start between o.oorsprong - 91 - 364 and o.oorsprong - 1 - 364), 0
            ),
            0.7
        ), 1.5) as factor,
        median(r.aantal) filter (where r.week_start >= o.oorsprong - 56) as recent_niveau
    from oorsprong as o
    inner join reeks as r on o.oorsprong > r.week_start and r.week_start >= o.oorsprong - 91 - 364
    group by o.doel, o.oorsprong, r.gemeentecode, r.categorie
),

verwacht as (
    select
        d.doel,
        d.oorsprong,
        d.gemeentecode,
        d.categorie,
        d.week_start,
        d.feestdag_naam,
        d.schoolvakantie,
        h.eerste_week > d.oorsprong - 7 * {{ min_history }} or s.seizoen is null as te_kort,
        s.seizoen * coalesce(f.factor, 1.0) * coalesce(t.factor, 1.0) as verwacht,
        coalesce(s.seizoen_spreiding, 0) * coalesce(f.factor, 1.0) * coalesce(t.factor, 1.0) as spreiding,
        coalesce(f.factor, 1.0) as feestdag_factor,
        coalesce(t.factor, 1.0) as trend_factor,
        t.recent_niveau
    from doelweek as d
    inner join historie as h using (gemeentecode, categorie)
    left join seizoen as s using (doel, oorsprong, gemeentecode, categorie, week_start)
    left join feesteffect as f using (doel, oorsprong, gemeentecode, categorie, week_start)
    left join trend as t using (doel, oorsprong, gemeentecode, categorie)
),

backtest as (
    select
        v.gemeentecode,
        v.categorie,
        v.week_start,
        v.verwacht as backtest_verwacht,
        r.aantal as gerealiseerd
    from verwacht as v
    inner join reeks as r using (gemeentecode, categorie, week_start)
    where v.doel = 'backtest' and not v.te_kort
),

backtest_fout as (
    select
        gemeentecode,
        categorie,
        sum(abs(cast(backtest_verwacht as decimal(18, 9)) - gerealiseerd)) / nullif(sum(gerealiseerd), 0) as fout,
        count(*) as weken
    from backtest
    group by gemeentecode, categorie
),

prognose as (
    select
        v.gemeentecode,
        v.categorie,
        v.week_start,
        false as verleden,
        cast(null as integer) as gerealiseerd,
        case when not v.te_kort then v.verwacht end as verwacht,
        case when not v.te_kort then greatest(v.verwacht - 1.645 * greatest(v.spreiding, sqrt(v.verwacht)), 0) end
            as ondergrens,
        case when not v.te_kort then v.verwacht + 1.645 * greatest(v.spreiding, sqrt(v.verwacht)) end as bovengrens,
        cast(null as double) as backtest_verwacht,
        case when not v.te_kort then v.feestdag_factor end as feestdag_factor,
        case when not v.te_kort then v.trend_factor end as trend_factor,
        v.feestdag_naam,
        v.schoolvakantie,
        coalesce(not v.te_kort and v.verwacht >= 5 and v.verwacht >= 1.5 * v.recent_niveau, false) as is_piek_verwacht,
        case when v.te_kort then 'minder dan {{ min_history }} weken historie' end as prognose_beperking
    from verwacht as v
    where v.doel = 'prognose'
),

verleden as (
    select
        gemeentecode,
        categorie,
        week_start,
        true as verleden,
        cast(gerealiseerd as integer) as gerealiseerd,
        cast(null as double) as verwacht,
        cast(null as double) as ondergrens,
        cast(null as double) as bovengrens,
        backtest_verwacht,
        cast(null as double) as feestdag_factor,
        cast(null as double) as trend_factor,
        cast(null as varchar) as feestdag_naam,
        cast(null as varchar) as schoolvakantie,
        false as is_piek_verwacht,
        cast(null as varchar) as prognose_beperking
    from backtest
),

-- Named columns, not *: sqlglot follows the column lineage only through star-free selections.
rijen as (
    select
        gemeentecode,
        categorie,
        week_start,
        verleden,
        gerealiseerd,
        verwacht,
        ondergrens,
        bovengrens,
        backtest_verwacht,
        feestdag_factor,
        trend_factor,
        feestdag_naam,
        schoolvakantie,
        is_piek_verwacht,
        prognose_beperking
    from prognose
    union all
    select
        gemeentecode,
        categorie,
        week_start,
        verleden,
        gerealiseerd,
        verwacht,
        ondergrens,
        bovengrens,
        backtest_verwacht,
        feestdag_factor,
        trend_factor,
        feestdag_naam,
        schoolvakantie,
        is_piek_verwacht,
        prognose_beperking
    from verleden
),

final as (
    select
        r.gemeentecode,
        r.categorie,
        r.week_start,
        r.verleden,
        r.gerealiseerd,
        -- Four decimals are more than a forecast of counts can claim. Every sum and average above is exact
        -- (integers, decimals): one of doubles differs in its last bits with the order DuckDB's threads add it
        -- up, and rounding alone cannot hide that for a value on a rounding boundary.
        round(r.verwacht, 4) as verwacht,
        round(r.ondergrens, 4) as ondergrens,
        round(r.bovengrens, 4) as bovengrens,
        r.is_piek_verwacht,
        r.feestdag_naam,
        r.schoolvakantie,
        round(r.feestdag_factor, 4) as feestdag_factor,
        round(r.trend_factor, 4) as trend_factor,
        round(r.backtest_verwacht, 4) as backtest_verwacht,
        round(b.fout, 4) as backtest_fout,
        b.weken as backtest_weken,
        r.prognose_beperking
    from rijen as r
    left join backtest_fout as b using (gemeentecode, categorie)
)

select * from final
