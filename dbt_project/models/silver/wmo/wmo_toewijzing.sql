{#- One row per toewijzing to a zorgaanbieder (iWmo 301, or the case system's toewijzingen). iWmo 2.x has no
    ToewijzingNummer: there a toewijzing is known by beschikkingnummer, product code and aanbieder. -#}
with iwmo as (
    select
        coalesce(toewijzingnummer, beschikkingnummer || '/' || productcode || '/' || aanbieder) as toewijzing_id,
        toewijzingnummer, gemeentecode, persoon_pseudoniem, beschikkingnummer, productcategorie, productcode,
        aanbieder, toewijzingsdatum, ingangsdatum, einddatum, 'iwmo' as bron_systeem, bron_bestand, bron_record,
        geladen_op
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort = 'toegewezen'
),

zorgned as (
    select
        toewijzingnummer as toewijzing_id, toewijzingnummer, gemeentecode, persoon_pseudoniem, beschikkingnummer,
        productcategorie, null as productcode, aanbieder, toewijzingsdatum, ingangsdatum, einddatum,
        'zorgned' as bron_systeem, bron_bestand, bron_record, geladen_op
    from {{ current_deliveries('zorgned_toewijzing') }}
    where toewijzingnummer is not null
),

genummerd as (
    select *, {{ delivery_rank('gemeentecode, toewijzing_id') }} as volgorde
    from (select * from iwmo union all select * from zorgned) as alle
),

beschikkingen as (
    select distinct gemeentecode, beschikkingnummer from {{ current_deliveries('zorgned_aanvraag') }} where beschikkingnummer is not null
),

final as (
    select
        t.toewijzing_id, t.toewijzingnummer, t.gemeentecode, t.persoon_pseudoniem, t.beschikkingnummer,
        t.productcategorie, t.productcode, t.aanbieder, t.toewijzingsdatum, t.ingangsdatum, t.einddatum,
        b.beschikkingnummer is not null as beschikking_bekend,
        t.bron_systeem, t.bron_bestand, t.bron_record
    from genummerd as t
    left join beschikkingen as b
        on b.gemeentecode = t.gemeentecode and b.beschikkingnummer = t.beschikkingnummer
    where t.volgorde = 1
)

select * from final
