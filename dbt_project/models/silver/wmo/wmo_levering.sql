{#- One row per toewijzing whose care started: start (iWmo 305) and stop (307) of the levering, or the case
    system's leveringen, checked against the toewijzing. -#}
with iwmo as (
    select
        coalesce(toewijzingnummer, beschikkingnummer || '/' || productcode || '/' || aanbieder) as toewijzing_id,
        gemeentecode, persoon_pseudoniem, aanbieder, productcategorie,
        case when regelsoort = 'start' then begindatum end as begindatum,
        case when regelsoort = 'stop' then einddatum end as einddatum,
        reden_beeindiging, bron_bestand, bron_record
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort in ('start', 'stop')
),

zorgned as (
    select
        toewijzingnummer as toewijzing_id, gemeentecode, persoon_pseudoniem, aanbieder, productcategorie,
        begindatum, levering_einddatum as einddatum, reden_beeindiging, bron_bestand, bron_record
    from {{ current_deliveries('zorgned_toewijzing') }}
    where toewijzingnummer is not null and begindatum is not null
),

per_toewijzing as (
    select
        gemeentecode,
        toewijzing_id,
        min(persoon_pseudoniem) as persoon_pseudoniem,
        min(aanbieder) as aanbieder,
        min(productcategorie) as productcategorie,
        min(begindatum) as begindatum,
        max(einddatum) as einddatum,
        max(reden_beeindiging) as reden_beeindiging,
        min(bron_bestand) as bron_bestand,
        min(bron_record) as bron_record
    from (select * from iwmo union all select * from zorgned) as alle
    group by gemeentecode, toewijzing_id
),

toewijzingen as (
    select gemeentecode, toewijzing_id, toewijzingsdatum from {{ ref('wmo_toewijzing') }}
),

final as (
    select
        l.toewijzing_id, l.gemeentecode, l.persoon_pseudoniem, l.aanbieder, l.productcategorie, l.begindatum,
        l.einddatum, l.reden_beeindiging,
        t.toewijzing_id is not null as toewijzing_bekend,
        coalesce(l.begindatum >= t.toewijzingsdatum, true) as start_na_toewijzing,
        l.bron_bestand, l.bron_record
    from per_toewijzing as l
    left join toewijzingen as t on t.gemeentecode = l.gemeentecode and t.toewijzing_id = l.toewijzing_id
)

select * from final
