{#- One row per Wmo or Jeugd melding (hulpvraag), with its law (`wet`): when it came in and when the onderzoek
    finished. The CSV export carries the onderzoek; where only the ZorgNed JSON knows a melding, its aanvraag
    date stands in for the end of the onderzoek (an aanvraag follows the onderzoek), flagged in
    onderzoek_datum_afgeleid. -#}
with bron as (
    select * from {{ current_deliveries('zorgned_aanvraag') }}
),

wijk_via_postcode as (
    select * from {{ wijk_via_postcode() }}
),

-- The CSV export describes meldingen; of the JSON a melding's latest record is used when the CSV lacks it.
genummerd as (
    select
        *,
        coalesce(melding_id, aanvraag_id) as melding_sleutel,
        {{ delivery_rank('wet, gemeentecode, coalesce(melding_id, aanvraag_id)',
                         prefer="case when bron_formaat = 'zorgned_csv' then 0 else 1 end") }} as volgorde
    from bron
),

final as (
    select
        m.melding_sleutel as melding_id,
        m.gemeentecode,
        m.wet,
        m.persoon_pseudoniem,
        m.leeftijdsklasse,
        coalesce(m.wijkcode, w.wijkcode) as wijkcode,
        m.productcategorie,
        m.datum_melding,
        coalesce(m.datum_onderzoek_afgerond, m.datum_aanvraag) as datum_onderzoek_afgerond,
        m.datum_onderzoek_afgerond is null and m.datum_aanvraag is not null as onderzoek_datum_afgeleid,
        case
            when coalesce(m.datum_onderzoek_afgerond, m.datum_aanvraag) >= m.datum_melding
                then {{ days_between('m.datum_melding', 'coalesce(m.datum_onderzoek_afgerond, m.datum_aanvraag)') }}
        end as doorlooptijd_onderzoek_dagen,
        coalesce(coalesce(m.datum_onderzoek_afgerond, m.datum_aanvraag) >= m.datum_melding, true)
            as datumvolgorde_geldig,
        m.bsn_geldig,
        m.productcategorie is null or pc.code is not null as productcategorie_bekend,
        m.bron_formaat,
        m.bron_bestand,
        m.bron_record
    from genummerd as m
    left join wijk_via_postcode as w on m.gemeentecode = w.gemeentecode and m.postcode4 = w.postcode4
    left join {{ ref('productcategorie') }} as pc on m.wet = pc.wet and m.productcategorie = pc.code
    where m.volgorde = 1
)

select * from final
