{#- One row per toewijzing to a zorgaanbieder (iWmo or iJw 301, or the case system's toewijzingen), as it stands now,
    with its law (`wet`).
    A toewijzing is delivered once and then changed by new deliveries of the same toewijzing (an earlier or later
    einddatum, another volume, a withdrawal: RedenWijziging, in 2.0 RedenIntrekking). The latest delivery, by
    Toewijzingsdatum and -tijd (OP033x1), says what holds now; a toewijzing whose latest delivery deletes it
    (RedenWijziging 13) is left out. Its toewijzingsdatum stays that of the first delivery, the moment the care
    was assigned: a change is no new toewijzing. When only changes of a toewijzing were received, the date of
    the first change stands in and origineel_ontvangen is false (gold leaves it out of the waiting times).
    The wijk is the client's: by the postcode of the address a 301 carries, or of the case system's aanvraag. -#}
with iwmo as (
    select
        {{ iwmo_toewijzing_id() }} as toewijzing_id,
        toewijzingnummer,
        wet,
        gemeentecode,
        gemeentecode_bericht,
        persoon_pseudoniem,
        beschikkingnummer,
        productcategorie,
        productcode,
        aanbieder,
        referentie_aanbieder,
        postcode4,
        cast(null as varchar) as aanvraag_id,
        toewijzingsdatum,
        toewijzingstijd,
        ingangsdatum,
        einddatum,
        reden_wijziging,
        versie,
        dagtekening,
        'iwmo' as bron_systeem,
        bron_bestand,
        bron_record,
        geladen_op
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort = 'toegewezen'
),

zorgned as (
    select
        toewijzingnummer as toewijzing_id,
        toewijzingnummer,
        wet,
        gemeentecode,
        cast(null as varchar) as gemeentecode_bericht,
        persoon_pseudoniem,
        beschikkingnummer,
        productcategorie,
        null as productcode,
        aanbieder,
        cast(null as varchar) as referentie_aanbieder,
        cast(null as varchar) as postcode4,
        aanvraag_id,
        toewijzingsdatum,
        cast(null as varchar) as toewijzingstijd,
        ingangsdatum,
        einddatum,
        cast(null as varchar) as reden_wijziging,
        cast(null as varchar) as versie,
        cast(null as date) as dagtekening,
        'zorgned' as bron_systeem,
        bron_bestand,
        bron_record,
        geladen_op
    from {{ current_deliveries('zorgned_toewijzing') }}
    where toewijzingnummer is not null
),

genummerd as (
    select
        *,
        {{ delivery_rank('wet, gemeentecode, toewijzing_id',
                         prefer='toewijzingsdatum desc nulls last, toewijzingstijd desc nulls last, dagtekening desc nulls last') }}
            as volgorde,
        min(case when reden_wijziging is null then toewijzingsdatum end)
            over (partition by wet, gemeentecode, toewijzing_id) as eerste_toewijzingsdatum,
        min(toewijzingsdatum) over (partition by wet, gemeentecode, toewijzing_id) as eerste_wijzigingsdatum
    from (
        select * from iwmo
        union all
        select * from zorgned
    ) as alle
),

beschikkingen as (
    select distinct
        wet,
        gemeentecode,
        beschikkingnummer
    from {{ current_deliveries('zorgned_aanvraag') }}
    where beschikkingnummer is not null
),

final as (
    select
        t.toewijzing_id,
        t.toewijzingnummer,
        t.gemeentecode,
        t.wet,
        t.persoon_pseudoniem,
        t.beschikkingnummer,
        t.productcategorie,
        t.productcode,
        t.aanbieder,
        t.referentie_aanbieder,
        coalesce(w.wijkcode, a.wijkcode) as wijkcode,
        coalesce(t.eerste_toewijzingsdatum, t.eerste_wijzigingsdatum) as toewijzingsdatum,
        t.ingangsdatum,
        t.einddatum,
        t.reden_wijziging,
        t.eerste_toewijzingsdatum is not null as origineel_ontvangen,
        -- iWmo 3.x toewijzingen name no beschikking (the specification dropped it): nothing to look up there
        case when t.beschikkingnummer is not null then b.beschikkingnummer is not null end as beschikking_bekend,
        pc.code is not null as productcategorie_bekend,
        coalesce(t.gemeentecode_bericht <> t.gemeentecode, false) as gemeentecode_afwijkend,
        t.bron_systeem,
        t.bron_bestand,
        t.bron_record
    from genummerd as t
    left join beschikkingen as b
        on t.wet = b.wet and t.gemeentecode = b.gemeentecode and t.beschikkingnummer = b.beschikkingnummer
    left join {{ ref('productcategorie') }} as pc on t.wet = pc.wet and t.productcategorie = pc.code
    left join {{ wijk_via_postcode() }} as w on t.gemeentecode = w.gemeentecode and t.postcode4 = w.postcode4
    left join {{ ref('aanvraag_wmo_jeugd') }} as a
        on t.wet = a.wet and t.gemeentecode = a.gemeentecode and t.aanvraag_id = a.aanvraag_id
    where t.volgorde = 1 and not coalesce({{ iwmo_verwijderd('t.reden_wijziging', 't.versie') }}, false)
)

select * from final
