{#- One row per toewijzing whose care started: start (iWmo/iJw 305) and stop (307) of the levering, or the case
    system's leveringen, checked against the toewijzing; with its law (`wet`).
    Every start and stop line carries a StatusAanlevering (COD467): 1 eerste aanlevering, 2 gewijzigde
    aanlevering, 3 verwijderen aanlevering. A delivery is known by its key (OP033): the toewijzing, the kind
    of line and its begindatum, for a stop also its einddatum. Per key the latest delivery holds (by
    dagtekening; of two on one day the withdrawal is the earlier: a correction withdraws, then delivers); when
    that is a withdrawal, the key holds nothing, so a withdrawn start is no start and a correction leaves only
    the corrected one. -#}
with iwmo_regels as (
    select
        {{ iwmo_toewijzing_id() }} as toewijzing_id,
        wet,
        gemeentecode,
        gemeentecode_bericht,
        persoon_pseudoniem,
        aanbieder,
        productcategorie,
        regelsoort,
        begindatum,
        case when regelsoort = 'stop' then einddatum end as einddatum,
        reden_beeindiging,
        status_aanlevering,
        dagtekening,
        bron_bestand,
        bron_record,
        geladen_op
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort in ('start', 'stop')
),

iwmo_laatste as (
    select
        *,
        {{ delivery_rank('wet, gemeentecode, toewijzing_id, regelsoort, begindatum, einddatum',
                         prefer="dagtekening desc nulls last, case when status_aanlevering = '3' then 0 else 1 end desc") }}
            as volgorde
    from iwmo_regels
),

iwmo as (
    select
        toewijzing_id,
        wet,
        gemeentecode,
        gemeentecode_bericht,
        persoon_pseudoniem,
        aanbieder,
        productcategorie,
        case when regelsoort = 'start' then begindatum end as begindatum,
        einddatum,
        reden_beeindiging,
        bron_bestand,
        bron_record
    from iwmo_laatste
    where volgorde = 1 and coalesce(status_aanlevering, '1') <> '3'
),

zorgned as (
    select
        toewijzingnummer as toewijzing_id,
        wet,
        gemeentecode,
        cast(null as varchar) as gemeentecode_bericht,
        persoon_pseudoniem,
        aanbieder,
        productcategorie,
        begindatum,
        levering_einddatum as einddatum,
        reden_beeindiging,
        bron_bestand,
        bron_record
    from {{ current_deliveries('zorgned_toewijzing') }}
    where toewijzingnummer is not null and begindatum is not null
),

per_toewijzing as (
    select
        wet,
        gemeentecode,
        toewijzing_id,
        min(persoon_pseudoniem) as persoon_pseudoniem,
        min(aanbieder) as aanbieder,
        min(productcategorie) as productcategorie,
        min(begindatum) as begindatum,
        max(einddatum) as einddatum,
        max(reden_beeindiging) as reden_beeindiging,
        max(case when gemeentecode_bericht <> gemeentecode then 1 else 0 end) = 1 as gemeentecode_afwijkend,
        min(bron_bestand) as bron_bestand,
        min(bron_record) as bron_record
    from (
        select * from iwmo
        union all
        select * from zorgned
    ) as alle
    group by wet, gemeentecode, toewijzing_id
),

toewijzingen as (
    select
        wet,
        gemeentecode,
        toewijzing_id,
        toewijzingsdatum
    from {{ ref('toewijzing') }}
),

final as (
    select
        l.toewijzing_id,
        l.gemeentecode,
        l.wet,
        l.persoon_pseudoniem,
        l.aanbieder,
        l.productcategorie,
        l.begindatum,
        l.einddatum,
        l.reden_beeindiging,
        t.toewijzing_id is not null as toewijzing_bekend,
        coalesce(l.begindatum >= t.toewijzingsdatum, true) as start_na_toewijzing,
        l.gemeentecode_afwijkend,
        l.bron_bestand,
        l.bron_record
    from per_toewijzing as l
    left join
        toewijzingen as t
        on l.wet = t.wet and l.gemeentecode = t.gemeentecode and l.toewijzing_id = t.toewijzing_id
)

select * from final
