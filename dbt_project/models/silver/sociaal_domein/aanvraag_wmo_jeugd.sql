{#- One row per Wmo or Jeugd aanvraag with its beschikking: the stretch the beslistermijn applies to. -#}
with bron as (
    select * from {{ current_deliveries('zorgned_aanvraag') }}
    where aanvraag_id is not null
),

meldingen as (
    select
        wet,
        gemeentecode,
        melding_id,
        wijkcode
    from {{ ref('melding_wmo_jeugd') }}
),

genummerd as (
    select
        *,
        {{ delivery_rank(
            'wet, gemeentecode, aanvraag_id', prefer="case when bron_formaat = 'zorgned_csv' then 0 else 1 end"
        ) }} as volgorde
    from bron
),

final as (
    select
        a.aanvraag_id,
        coalesce(a.melding_id, a.aanvraag_id) as melding_id,
        a.gemeentecode,
        a.wet,
        a.persoon_pseudoniem,
        a.leeftijdsklasse,
        m.wijkcode,
        a.productcategorie,
        a.datum_aanvraag,
        a.beschikkingnummer,
        a.datum_beschikking,
        a.resultaat,
        case
            when a.datum_beschikking >= a.datum_aanvraag
                then {{ days_between('a.datum_aanvraag', 'a.datum_beschikking') }}
        end as doorlooptijd_beschikking_dagen,
        coalesce(a.datum_beschikking >= a.datum_aanvraag, true) as datumvolgorde_geldig,
        a.bron_formaat,
        a.bron_bestand,
        a.bron_record
    from genummerd as a
    left join meldingen as m
        on a.wet = m.wet and a.gemeentecode = m.gemeentecode and m.melding_id = coalesce(a.melding_id, a.aanvraag_id)
    where a.volgorde = 1
)

select * from final
