{#- Documents whose validity ends, per month from the start of the history to ten years ahead, per soort and
    the holder's age band at the end of validity. Documents lost or withheld before their end are left out, and so
    are deliveries that describe one of several holders' documents without saying whose (houder_onbepaald). -#}
with documenten as (
    select * from {{ ref('reisdocument') }}
    where not vervallen_voor_einde and not houder_onbepaald and datum_einde_geldigheid is not null
),

venster as (
    select
        cast(date_trunc('month', min(datum_uitgifte)) as date) as eerste,
        {{ add_months(peilmaand(), 120) }} as laatste
    from documenten
),

final as (
    select
        d.gemeentecode,
        cast(date_trunc('month', d.datum_einde_geldigheid) as date) as maand_start,
        d.soort,
        case
            when d.leeftijd_bij_einde is null then 'onbekend'
            when d.leeftijd_bij_einde < 18 then '0-17'
            when d.leeftijd_bij_einde < 30 then '18-29'
            when d.leeftijd_bij_einde < 45 then '30-44'
            when d.leeftijd_bij_einde < 65 then '45-64'
            when d.leeftijd_bij_einde < 75 then '65-74'
            when d.leeftijd_bij_einde < 85 then '75-84'
            else '85+'
        end as leeftijdsklasse,
        cast(count(*) as integer) as aantal_verlopend
    from documenten as d
    cross join venster as v
    where d.datum_einde_geldigheid >= v.eerste and d.datum_einde_geldigheid < {{ add_months('v.laatste', 1) }}
    group by 1, 2, 3, 4
)

select * from final
