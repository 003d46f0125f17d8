{#- One row per melding: the latest state across all exports, conformed to shared codelists and areas.

    Incremental, keyed on ingestion: a nightly build takes only the meldingen with a delivery ingested since
    the last build (with all their deliveries, so the latest state and the count of deliveries still look at
    a melding's whole history) and replaces those rows. New CBS wijken and buurten move meldingen between
    areas, so a rebuilt wijk_buurt (or calendar, or codelist) rebuilds the whole table, as does a change to
    this SQL or to a model, seed or macro it is built from (pipelines/build_state.py). -#}
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key=['gemeentecode', 'melding_id']
) }}

with bron as (
    select * from {{ current_deliveries('fixi_melding') }}
    {% if is_incremental() %}
    where (gemeentecode, melding_id) in (
            select gemeentecode, melding_id from {{ current_deliveries('fixi_melding') }}
            where geladen_op > (select max(laatst_geladen_op) from {{ this }})
        )
    {% endif %}
),

categorie_bron as (
    select
        lower(trim(categorie_bron)) as sleutel,
        categorie
    from {{ ref('fixi_categorie_bron') }}
),

categorie as (
    select * from {{ ref('fixi_categorie') }}
),

status_bron as (
    select
        lower(trim(status_bron)) as sleutel,
        status
    from {{ ref('fixi_status') }}
),

buurt as (
    select * from {{ ref('wijk_buurt') }}
),

kalender as (
    select
        datum,
        werkdag_volgnummer
    from {{ ref('kalender') }}
),

-- The latest state wins: the record changed last in the source, then the one ingested last.
genummerd as (
    select
        *,
        {{ delivery_rank('gemeentecode, melding_id', prefer='datum_gewijzigd desc nulls last') }} as volgorde,
        count(*) over (partition by gemeentecode, melding_id) as aantal_leveringen,
        max(geladen_op) over (partition by gemeentecode, melding_id) as laatst_geladen_op
    from bron
),

laatste_stand as (
    select * from genummerd
    where volgorde = 1
),

gemeente_extent as (
    select
        gemeentecode,
        min(min_breedtegraad) as min_breedtegraad,
        max(max_breedtegraad) as max_breedtegraad,
        min(min_lengtegraad) as min_lengtegraad,
        max(max_lengtegraad) as max_lengtegraad
    from buurt
    group by gemeentecode
),

-- Buurten are boxes; a point on a shared edge takes the lowest buurtcode.
buurt_via_locatie as (
    select
        m.gemeentecode,
        m.melding_id,
        min(b.buurtcode) as buurtcode
    from laatste_stand as m
    inner join buurt as b
        on
            m.gemeentecode = b.gemeentecode
            and m.breedtegraad >= b.min_breedtegraad and m.breedtegraad <= b.max_breedtegraad
            and m.lengtegraad >= b.min_lengtegraad and m.lengtegraad <= b.max_lengtegraad
    group by m.gemeentecode, m.melding_id
),

wijk_via_postcode as (
    select
        gemeentecode,
        postcode4,
        min(wijkcode) as wijkcode
    from buurt
    group by gemeentecode, postcode4
),

wijk as (
    select distinct
        gemeentecode,
        wijkcode,
        wijknaam
    from buurt
),

geconformeerd as (
    select
        m.melding_id,
        m.gemeentecode,
        coalesce(cb.categorie, 'Onbekend') as categorie,
        m.categorie_bron,
        cb.categorie is not null as categorie_bekend,
        -- A status the seed does not know is derived from the closing date, and flagged (status_bekend)
        coalesce(
            sb.status,
            case when m.datum_afgehandeld is not null then 'afgehandeld' else 'in behandeling' end
        ) as status,
        m.status_bron,
        sb.status is not null as status_bekend,
        m.datum_melding,
        m.datum_afgehandeld,
        m.datum_gewijzigd,
        m.datum_afgehandeld is null or m.datum_afgehandeld >= m.datum_melding as datumvolgorde_geldig,
        round(m.breedtegraad, 4) as breedtegraad,
        round(m.lengtegraad, 4) as lengtegraad,
        coalesce(
            m.breedtegraad between g.min_breedtegraad and g.max_breedtegraad
            and m.lengtegraad between g.min_lengtegraad and g.max_lengtegraad,
            false
        ) as locatie_binnen_gemeente,
        bl.buurtcode,
        coalesce(b.wijkcode, wp.wijkcode) as wijkcode,
        m.aantal_leveringen,
        m.laatst_geladen_op,
        m.bron_bestand,
        m.bron_bestand_hash,
        m.bron_record
    from laatste_stand as m
    left join categorie_bron as cb on cb.sleutel = lower(trim(m.categorie_bron))
    left join status_bron as sb on sb.sleutel = lower(trim(m.status_bron))
    left join gemeente_extent as g on m.gemeentecode = g.gemeentecode
    left join buurt_via_locatie as bl on m.gemeentecode = bl.gemeentecode and m.melding_id = bl.melding_id
    left join buurt as b on bl.buurtcode = b.buurtcode
    left join wijk_via_postcode as wp on m.gemeentecode = wp.gemeentecode and m.postcode4 = wp.postcode4
),

final as (
    select
        c.melding_id,
        c.gemeentecode,
        c.categorie,
        c.categorie_bron,
        c.categorie_bekend,
        c.status,
        c.status_bron,
        c.status_bekend,
        c.datum_melding,
        c.datum_afgehandeld,
        c.datum_gewijzigd,
        c.datumvolgorde_geldig,
        -- When the melding left the backlog: its closing time, or its last change when that is missing or impossible.
        case
            when c.status = 'afgehandeld' and c.datumvolgorde_geldig
                then coalesce(c.datum_afgehandeld, c.datum_gewijzigd, c.datum_melding)
            when c.status = 'afgehandeld' then greatest(c.datum_melding, coalesce(c.datum_gewijzigd, c.datum_melding))
        end as datum_uit_werkvoorraad,
        case
            when c.status = 'afgehandeld' and c.datumvolgorde_geldig and c.datum_afgehandeld is not null
                then {{ days_between('c.datum_melding', 'c.datum_afgehandeld') }}
        end as doorlooptijd_dagen,
        case
            when c.status = 'afgehandeld' and c.datumvolgorde_geldig and c.datum_afgehandeld is not null
                then ka.werkdag_volgnummer - km.werkdag_volgnummer
        end as doorlooptijd_werkdagen,
        cat.afhandeltermijn_werkdagen,
        c.breedtegraad,
        c.lengtegraad,
        c.locatie_binnen_gemeente,
        c.wijkcode,
        w.wijknaam,
        c.buurtcode,
        c.aantal_leveringen,
        c.laatst_geladen_op,
        c.bron_bestand,
        c.bron_bestand_hash,
        c.bron_record
    from geconformeerd as c
    left join categorie as cat on c.categorie = cat.categorie
    left join wijk as w on c.gemeentecode = w.gemeentecode and c.wijkcode = w.wijkcode
    left join kalender as km on km.datum = cast(c.datum_melding as date)
    left join kalender as ka on ka.datum = cast(c.datum_afgehandeld as date)
)

select * from final
