{#- For every peak week of fixi_pieken, what stands out that week against the weeks before it, one row per cause:

    - storm, vorst, regen: the weather at the municipality's KNMI station (seed gemeente_weerstation, De Bilt when
      not listed) that drives the peak's categorie (seed fixi_weer_categorie): a storm day (gust >= 20.8 m/s) or a
      heavy rain day (>= 15 mm) in the week, or at least two frost days and more than the 8 weeks before averaged;
    - feestdag: a public holiday in the week or on the day before it (New Year's Eve litter shows on 1 January);
    - schoolvakantie: the week is a school holiday week of the municipality's region (seed gemeente_schoolregio,
      midden when not listed; silver schoolvakantie_week): children free, families away or at home, parks full;
    - wijk: the wijk that holds at least half of the extra meldingen (count minus the wijk's weekly average of the
      8 weeks before); when none does, the excess is spread over the municipality (oorzaak_soort verspreid);
    - cluster: at least {{ cluster_min }} meldingen of the categorie about one spot (location rounded to 0.001
      degree, about 110 x 70 m): one object or address many residents report;
    - onbekend: none of these stands out.
    Weekly aggregates first: only the peak weeks' meldingen are read again (for clusters). -#}
{%- set baseline_weeks = 8 -%}
{%- set cluster_min = 5 -%}
with pieken as (
    select
        gemeentecode,
        iso_jaar,
        iso_week,
        week_start,
        categorie,
        aantal_meldingen,
        verwacht_aantal,
        greatest(aantal_meldingen - verwacht_aantal, 0) as extra_meldingen
    from {{ ref('fixi_pieken') }}
    where is_piek
),

ook_gestegen as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        string_agg(
            o.categorie || ' (' || cast(round(o.verhouding, 1) as varchar) || 'x)', ', '
            order by o.verhouding desc, o.categorie asc)  -- categorie breaks ties: identical reruns
            as ook_gestegen
    from pieken as p
    inner join {{ ref('fixi_pieken') }} as o
        on
            p.gemeentecode = o.gemeentecode and p.week_start = o.week_start and p.categorie <> o.categorie
            and o.verhouding >= 1.5 and o.aantal_meldingen >= 5
    group by p.gemeentecode, p.week_start, p.categorie
),

station as (
    select
        g.gemeentecode,
        coalesce(s.stn, {{ default_weerstation() }}) as stn
    from (select distinct gemeentecode from pieken) as g
    left join {{ ref('gemeente_weerstation') }} as s using (gemeentecode)
),

weer_per_week as (
    select
        stn,
        cast(date_trunc('week', datum) as date) as week_start,
        max(windstoot_max_ms) filter (where is_stormdag) as windstoot,
        -- the day of the highest gust or most rain; of equal days the first, not one by chance
        arg_min(datum, (-windstoot_max_ms, datum)) filter (where is_stormdag) as stormdag,
        count(*) filter (where is_vorstdag) as vorstdagen,
        min(temperatuur_min_c) as temperatuur_min,
        max(neerslag_mm) filter (where is_regendag) as neerslag,
        arg_min(datum, (-neerslag_mm, datum)) filter (where is_regendag) as regendag
    from {{ ref('weer_dag') }}
    where stn in (select s.stn from station as s)
    group by stn, cast(date_trunc('week', datum) as date)
),

weer_en_basis as (
    select
        *,
        avg(vorstdagen) over (
            partition by stn order by week_start
            rows between {{ baseline_weeks }} preceding and 1 preceding
        ) as vorstdagen_normaal
    from weer_per_week
),

weer as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'storm' as oorzaak_soort,
        'Storm op ' || strftime(w.stormdag, '%d-%m-%Y') || ': windstoten tot ' || cast(round(w.windstoot) as integer)
        || ' m/s (' || cast(round(w.windstoot * 3.6) as integer) || ' km/u)' as oorzaak,
        w.windstoot as waarde
    from pieken as p
    inner join station as s using (gemeentecode)
    inner join weer_en_basis as w on s.stn = w.stn and p.week_start = w.week_start
    inner join {{ ref('fixi_weer_categorie') }} as c on c.weer_soort = 'storm' and p.categorie = c.categorie
    where w.windstoot is not null
    union all
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'vorst' as oorzaak_soort,
        'Vorst: '
        || w.vorstdagen
        || ' dagen onder nul, minimum '
        || cast(round(w.temperatuur_min, 1) as varchar)
        || ' °C' as oorzaak,
        w.temperatuur_min as waarde
    from pieken as p
    inner join station as s using (gemeentecode)
    inner join weer_en_basis as w on s.stn = w.stn and p.week_start = w.week_start
    inner join {{ ref('fixi_weer_categorie') }} as c on c.weer_soort = 'vorst' and p.categorie = c.categorie
    where w.vorstdagen >= 2 and w.vorstdagen > coalesce(w.vorstdagen_normaal, 0)
    union all
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'regen' as oorzaak_soort,
        'Hevige regen op ' || strftime(w.regendag, '%d-%m-%Y') || ': ' || cast(round(w.neerslag) as integer) || ' mm'
            as oorzaak,
        w.neerslag as waarde
    from pieken as p
    inner join station as s using (gemeentecode)
    inner join weer_en_basis as w on s.stn = w.stn and p.week_start = w.week_start
    inner join {{ ref('fixi_weer_categorie') }} as c on c.weer_soort = 'regen' and p.categorie = c.categorie
    where w.neerslag is not null
),

feestdag as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'feestdag' as oorzaak_soort,
        'Feestdag: ' || f.feestdag_naam as oorzaak,
        cast(null as double) as waarde
    from pieken as p
    inner join {{ feestdag_weken() }} as f on p.week_start = f.week_start
),

schoolvakantie as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'schoolvakantie' as oorzaak_soort,
        'Schoolvakantie: ' || v.schoolvakantie as oorzaak,
        cast(null as double) as waarde
    from pieken as p
    inner join {{ schoolvakantie_weken('pieken') }} as v using (gemeentecode, week_start)
),

wijk_in_week as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        p.extra_meldingen,
        w.wijkcode,
        w.wijknaam,
        sum(w.aantal_meldingen) filter (where w.week_start = p.week_start) as aantal,
        coalesce(sum(w.aantal_meldingen) filter (where w.week_start < p.week_start), 0)
        / {{ baseline_weeks }}.0 as normaal
    from pieken as p
    inner join {{ ref('fixi_meldingen_week') }} as w
        on
            p.gemeentecode = w.gemeentecode and p.categorie = w.categorie
            and w.week_start between p.week_start - {{ 7 * baseline_weeks }} and p.week_start
    group by p.gemeentecode, p.week_start, p.categorie, p.extra_meldingen, w.wijkcode, w.wijknaam
),

drukste_wijk as (
    select
        *,
        greatest(coalesce(aantal, 0) - normaal, 0) as extra,
        row_number() over (
            partition by gemeentecode, week_start, categorie
            order by coalesce(aantal, 0) - normaal desc, wijkcode
        ) as volgorde
    from wijk_in_week
),

wijk as (
    select
        gemeentecode,
        week_start,
        categorie,
        case when extra >= 0.5 * extra_meldingen and extra_meldingen > 0 then 'wijk' else 'verspreid' end
            as oorzaak_soort,
        case
            when extra >= 0.5 * extra_meldingen and extra_meldingen > 0
                then
                    'Wijk ' || wijknaam || ': ' || cast(round(extra) as integer) || ' van de '
                    || cast(round(extra_meldingen) as integer) || ' extra meldingen'
            else 'Verspreid: geen wijk heeft de helft van de extra meldingen (meeste in ' || wijknaam || ')'
        end as oorzaak,
        extra as waarde
    from drukste_wijk
    where volgorde = 1
),

plek as (
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        round(m.breedtegraad, 3) as breedtegraad,
        round(m.lengtegraad, 3) as lengtegraad,
        min(m.wijkcode) as wijkcode,
        count(*) as aantal
    from {{ ref('fixi_melding') }} as m
    inner join pieken as p
        -- an equi-join on the week: a range join on the date compared every melding with every peak nationally
        on
            m.gemeentecode = p.gemeentecode and m.categorie = p.categorie
            and p.week_start = cast(date_trunc('week', m.datum_melding) as date)
    where m.locatie_binnen_gemeente
    group by all
    having count(*) >= {{ cluster_min }}
),

wijknamen as (
    select distinct
        gemeentecode,
        wijkcode,
        wijknaam
    from {{ ref('wijk_buurt') }}
),

cluster as (
    select
        c.gemeentecode,
        c.week_start,
        c.categorie,
        'cluster' as oorzaak_soort,
        'Cluster: ' || c.aantal || ' meldingen over één plek (' || coalesce(w.wijknaam, 'onbekende wijk') || ', '
        || cast(c.breedtegraad as varchar) || ' N ' || cast(c.lengtegraad as varchar) || ' O)' as oorzaak,
        cast(c.aantal as double) as waarde
    from plek as c
    left join wijknamen as w
        on c.gemeentecode = w.gemeentecode and c.wijkcode = w.wijkcode
),

oorzaken as (
    select * from weer
    union all
    select * from feestdag
    union all
    select * from schoolvakantie
    union all
    select * from wijk
    union all
    select * from cluster
),

met_onbekend as (
    select * from oorzaken
    union all
    select
        p.gemeentecode,
        p.week_start,
        p.categorie,
        'onbekend' as oorzaak_soort,
        'Geen weer, feestdag, schoolvakantie, wijk of cluster springt eruit' as oorzaak,
        cast(null as double) as waarde
    from pieken as p
    where not exists (
        select 1
        from oorzaken as o
        where
            o.gemeentecode = p.gemeentecode and o.week_start = p.week_start
            and o.categorie = p.categorie and o.oorzaak_soort <> 'verspreid'
    )
),

final as (
    select
        p.gemeentecode,
        p.iso_jaar,
        p.iso_week,
        p.week_start,
        p.categorie,
        p.aantal_meldingen,
        p.verwacht_aantal,
        p.extra_meldingen,
        o.oorzaak_soort,
        o.oorzaak,
        o.waarde,
        g.ook_gestegen
    from pieken as p
    inner join met_onbekend as o using (gemeentecode, week_start, categorie)
    left join ook_gestegen as g using (gemeentecode, week_start, categorie)
)

select * from final
