{#- Meldingen per ISO week, categorie and wijk, with how many of them were handled and how fast.

    Incremental per municipality and week: a nightly build recomputes only the weeks that new deliveries or
    corrected dates changed (macros/fixi_weeks.sql); recomputing every week took seconds nationally. A whole
    rebuild of fixi_melding, a rebuilt calendar or a change to this SQL rebuilds the table whole
    (pipelines/build_state.py). -#}
{{ config(materialized='incremental', incremental_strategy='append',
          pre_hook=["{{ list_fixi_weeks_to_recompute() }}", "{{ release_fixi_weeks() }}"]) }}

with meldingen as (
    select * from {{ ref('fixi_melding') }}
),

kalender as (
    select
        datum,
        iso_jaar,
        iso_week,
        week_start
    from {{ ref('kalender') }}
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
        {{ percentiles('m.doorlooptijd_dagen', [0.5, 0.9]) }} as doorlooptijd_dagen,
        max(m.laatst_geladen_op) as laatst_geladen_op
    from meldingen as m
    inner join kalender as k on k.datum = cast(m.datum_melding as date)
    {% if is_incremental() %}
    where (m.gemeentecode, k.week_start) in (select gemeentecode, week_start from {{ released_fixi_weeks() }})
    {% endif %}
    group by
        m.gemeentecode, k.iso_jaar, k.iso_week, k.week_start, m.categorie, m.wijkcode, coalesce(m.wijknaam, 'Onbekend')
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
        {{ list_item('doorlooptijd_dagen', 2) }} as doorlooptijd_dagen_p90,
        laatst_geladen_op
    from per_groep
)

select * from final
