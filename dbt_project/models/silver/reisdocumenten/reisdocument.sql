{#- One row per reisdocument: the latest delivery of it (a Haal Centraal update after the GBA extract wins),
    and whether its end of validity follows the rules: 10 years for adults' passports and identity cards issued
    from 9 March 2014, otherwise 5. Whether it is valid on a given day is left to the models that ask: a status
    at the peildatum would rebuild all documents every night. -#}
with bron as (
    select * from {{ current_deliveries('brp_reisdocument') }}
),

soorten as (
    select code from {{ ref('reisdocument_soort') }}
),

genummerd as (
    select *, {{ delivery_rank('reisdocumentnummer') }} as volgorde
    from bron
),

beoordeeld as (
    select
        d.*,
        s.code is not null as soort_bekend,
        case
            when d.soort in ('PN', 'NI') and d.leeftijd_bij_uitgifte is not null
                then case when d.leeftijd_bij_uitgifte >= 18 and d.datum_uitgifte >= date '2014-03-09' then 10 else 5 end
        end as geldigheid_jaren_volgens_regels,
        d.aanduiding_inhouding_vermissing is not null
            and coalesce(d.datum_inhouding_vermissing, d.datum_einde_geldigheid) < d.datum_einde_geldigheid
            as vervallen_voor_einde
    from genummerd as d
    left join soorten as s on s.code = d.soort
    where d.volgorde = 1
),

final as (
    select
        reisdocumentnummer,
        gemeentecode,
        soort,
        soort_bekend,
        datum_uitgifte,
        autoriteit,
        datum_einde_geldigheid,
        datum_inhouding_vermissing,
        aanduiding_inhouding_vermissing,
        vervallen_voor_einde,
        geldigheid_jaren_volgens_regels,
        case when geldigheid_jaren_volgens_regels is not null
            then datum_einde_geldigheid = cast(datum_uitgifte + to_years(geldigheid_jaren_volgens_regels) as date)
        end as geldigheid_volgens_regels,
        persoon_pseudoniem,
        bsn_geldig,
        leeftijd_bij_uitgifte,
        leeftijdsklasse,
        leeftijd_bij_uitgifte + cast(floor({{ days_between('datum_uitgifte', 'datum_einde_geldigheid') }} / 365.25) as integer)
            as leeftijd_bij_einde,
        bron_formaat,
        bron_bestand,
        bron_record
    from beoordeeld
)

select * from final
