{#- One row per application at the counter, with its soort checked against the codelist. -#}
with bron as (
    select * from {{ current_deliveries('burgerzaken_aanvraag') }}
),

genummerd as (
    select
        *,
        {{ delivery_rank('gemeentecode, aanvraagnummer') }} as volgorde
    from bron
),

final as (
    select
        a.aanvraagnummer,
        a.gemeentecode,
        a.aanvraagdatum,
        a.soort,
        s.code is not null as soort_bekend,
        a.spoed,
        a.uitreikdatum,
        coalesce(a.uitreikdatum >= a.aanvraagdatum, true) as datumvolgorde_geldig,
        a.locatie,
        a.persoon_pseudoniem,
        a.bsn_geldig,
        a.leeftijdsklasse,
        a.bron_bestand,
        a.bron_record
    from genummerd as a
    left join {{ ref('reisdocument_soort') }} as s on a.soort = s.code
    where a.volgorde = 1
)

select * from final
