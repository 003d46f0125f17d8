{#- One row per reisdocument and holder, merged over every delivery of it, and whether its end of validity
    follows the rules: 10 years for adults' passports and identity cards issued from 9 March 2014, otherwise 5.

    Identity: a document is its municipality, number and holder. A number is meant to be unique, but extracts
    give one number to several persons (the GBA-V test set: one number to 18): each holder keeps their own row,
    flagged `nummer_meerdere_houders`, instead of collapsing into one holder. A delivery that names no holder (a
    Haal Centraal answer without `houder`) belongs to the number's only known holder; with several it cannot be
    attributed and stays a row of its own without holder, flagged `houder_onbepaald`: it describes one of their
    documents, so gold does not count it as a document of its own.
    Merge: every field takes the value of the most recent delivery that knows it (latest delivery first, within a
    file the record furthest down), so a Haal Centraal v2 row without soort, issue date or authority loaded after
    the GBA extract erases none of them; the inhouding/vermissing date and code come together from the most recent
    delivery that has either, so a document once withheld or lost stays so (the BRP never undoes that).
    Whether it is valid on a given day is left to the models that ask: a status at the peildatum would rebuild all
    documents every night. -#}
with bron as (
    select * from {{ current_deliveries('brp_reisdocument') }}
),

soorten as (
    select code from {{ ref('reisdocument_soort') }}
),

houders as (
    select
        gemeentecode,
        reisdocumentnummer,
        count(distinct persoon_pseudoniem) as aantal_houders,
        min(persoon_pseudoniem) as houder
    from bron
    where persoon_pseudoniem is not null
    group by gemeentecode, reisdocumentnummer
),

toegekend as (
    select
        b.gemeentecode,
        b.reisdocumentnummer,
        coalesce(b.persoon_pseudoniem, case when h.aantal_houders = 1 then h.houder end) as persoon_pseudoniem,
        coalesce(h.aantal_houders, 0) > 1 as nummer_meerdere_houders,
        b.soort,
        b.datum_uitgifte,
        b.autoriteit,
        b.datum_einde_geldigheid,
        b.datum_inhouding_vermissing,
        b.aanduiding_inhouding_vermissing,
        b.bsn_geldig,
        b.leeftijd_bij_uitgifte,
        b.leeftijdsklasse,
        b.bron_formaat,
        b.bron_bestand,
        b.bron_record,
        b.geladen_op
    from bron as b
    left join houders as h on b.gemeentecode = h.gemeentecode and b.reisdocumentnummer = h.reisdocumentnummer
),

genummerd as (
    select
        *,
        {{ delivery_rank('gemeentecode, reisdocumentnummer, persoon_pseudoniem') }} as volgorde
    from toegekend
),

{%- set inhouding = 'aanduiding_inhouding_vermissing is not null or datum_inhouding_vermissing is not null' %}

samengevoegd as (
    select
        gemeentecode,
        reisdocumentnummer,
        persoon_pseudoniem,
        bool_or(nummer_meerdere_houders) as nummer_meerdere_houders,
        {{ latest_known('soort') }} as soort,
        {{ latest_known('datum_uitgifte') }} as datum_uitgifte,
        {{ latest_known('autoriteit') }} as autoriteit,
        {{ latest_known('datum_einde_geldigheid') }} as datum_einde_geldigheid,
        {{ latest_known('datum_inhouding_vermissing', inhouding) }} as datum_inhouding_vermissing,
        {{ latest_known('aanduiding_inhouding_vermissing', inhouding) }} as aanduiding_inhouding_vermissing,
        {{ latest_known('bsn_geldig') }} as bsn_geldig,
        {{ latest_known('leeftijd_bij_uitgifte') }} as leeftijd_bij_uitgifte,
        {{ latest_known('leeftijdsklasse') }} as leeftijdsklasse,
        cast(count(*) as integer) as aantal_leveringen,
        {{ latest_known('bron_formaat', 'volgorde = 1') }} as bron_formaat,
        {{ latest_known('bron_bestand', 'volgorde = 1') }} as bron_bestand,
        {{ latest_known('bron_record', 'volgorde = 1') }} as bron_record
    from genummerd
    group by gemeentecode, reisdocumentnummer, persoon_pseudoniem
),

beoordeeld as (
    select
        d.*,
        s.code is not null as soort_bekend,
        case
            when d.soort in ('PN', 'NI') and d.leeftijd_bij_uitgifte is not null
                then
                    case when d.leeftijd_bij_uitgifte >= 18 and d.datum_uitgifte >= date '2014-03-09' then 10 else 5 end
        end as geldigheid_jaren_volgens_regels,
        d.aanduiding_inhouding_vermissing is not null
        and coalesce(d.datum_inhouding_vermissing, d.datum_einde_geldigheid) < d.datum_einde_geldigheid
            as vervallen_voor_einde,
        coalesce(d.datum_einde_geldigheid < d.datum_uitgifte, false) as einde_voor_uitgifte,
        d.persoon_pseudoniem is null and d.nummer_meerdere_houders as houder_onbepaald
    from samengevoegd as d
    left join soorten as s on d.soort = s.code
),

final as (
    select
        reisdocumentnummer,
        gemeentecode,
        persoon_pseudoniem,
        nummer_meerdere_houders,
        houder_onbepaald,
        soort,
        soort_bekend,
        datum_uitgifte,
        autoriteit,
        datum_einde_geldigheid,
        datum_inhouding_vermissing,
        aanduiding_inhouding_vermissing,
        vervallen_voor_einde,
        einde_voor_uitgifte,
        geldigheid_jaren_volgens_regels,
        case
            when geldigheid_jaren_volgens_regels is not null
                then datum_einde_geldigheid = cast(datum_uitgifte + to_years(geldigheid_jaren_volgens_regels) as date)
        end as geldigheid_volgens_regels,
        bsn_geldig,
        leeftijd_bij_uitgifte,
        leeftijdsklasse,
        leeftijd_bij_uitgifte
        + cast(floor({{ days_between('datum_uitgifte', 'datum_einde_geldigheid') }} / 365.25) as integer)
            as leeftijd_bij_einde,
        aantal_leveringen,
        bron_formaat,
        bron_bestand,
        bron_record
    from beoordeeld
)

select * from final
