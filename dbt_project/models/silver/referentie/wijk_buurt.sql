{#- The latest delivery of each buurt, codes stripped of CBS's padding, with its inhabitants per CBS age group. -#}
with bron as (
    select * from {{ current_deliveries('cbs_wijk_buurt') }}
),

genummerd as (
    select
        *,
        {{ delivery_rank('trim(buurtcode)') }} as volgorde
    from bron
),

final as (
    select
        trim(gemeentecode) as gemeentecode,
        gemeentenaam,
        trim(wijkcode) as wijkcode,
        wijknaam,
        trim(buurtcode) as buurtcode,
        buurtnaam,
        postcode4,
        min_breedtegraad,
        max_breedtegraad,
        min_lengtegraad,
        max_lengtegraad,
        aantal_inwoners,
        inwoners_0_14,
        inwoners_15_24,
        inwoners_25_44,
        inwoners_45_64,
        inwoners_65_plus
    from genummerd
    where volgorde = 1
)

select * from final
