{#- One row per beschikking and product of either law (`wet`): what was granted or refused, from the case system
    and iWmo/iJw 301. -#}
with zorgned as (
    select
        wet,
        gemeentecode,
        beschikkingnummer,
        productcategorie,
        productcode,
        persoon_pseudoniem,
        resultaat,
        leveringsvorm,
        aanbieder,
        ingangsdatum,
        einddatum,
        datum_beschikking as afgiftedatum,
        'zorgned' as bron_systeem,
        bron_bestand,
        bron_record,
        geladen_op,
        0 as voorkeur
    from {{ current_deliveries('zorgned_aanvraag') }}
    where beschikkingnummer is not null and productcategorie is not null
),

iwmo as (
    select
        wet,
        gemeentecode,
        beschikkingnummer,
        productcategorie,
        productcode,
        persoon_pseudoniem,
        'toegewezen' as resultaat,
        'zin' as leveringsvorm,
        aanbieder,
        ingangsdatum,
        einddatum,
        afgiftedatum,
        'iwmo' as bron_systeem,
        bron_bestand,
        bron_record,
        geladen_op,
        1 as voorkeur
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort = 'beschikt' and beschikkingnummer is not null
),

genummerd as (
    select
        *,
        {{ delivery_rank('wet, gemeentecode, beschikkingnummer, productcategorie', prefer='voorkeur') }} as volgorde
    from (
        select * from zorgned
        union all
        select * from iwmo
    ) as alle
),

final as (
    select
        g.beschikkingnummer,
        g.gemeentecode,
        g.wet,
        g.persoon_pseudoniem,
        g.productcategorie,
        g.productcode,
        g.resultaat,
        g.leveringsvorm,
        g.aanbieder,
        g.afgiftedatum,
        g.ingangsdatum,
        g.einddatum,
        pc.code is not null as productcategorie_bekend,
        g.bron_systeem,
        g.bron_bestand,
        g.bron_record
    from genummerd as g
    left join {{ ref('productcategorie') }} as pc on g.wet = pc.wet and g.productcategorie = pc.code
    where g.volgorde = 1
)

select * from final
