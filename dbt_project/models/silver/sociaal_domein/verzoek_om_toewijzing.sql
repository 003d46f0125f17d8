{#- One row per verzoek om toewijzing (iWmo 315, iJw JW315), as the GGM's VerzoekOmToewijzing: an aanbieder asks
    the municipality to assign care, for Jeugd often on the referral of a huisarts, jeugdarts, medisch specialist,
    gecertificeerde instelling or rechter (Verwijzer Type, COD327), without a melding at the municipality.
    A verzoek is known by its client, aanbieder and ReferentieAanbieder (the aanbieder's own reference, which the
    municipality returns in the toewijzing); delivered again, the latest delivery holds. It is answered by the
    toewijzing carrying the same ReferentieAanbieder, or, when the toewijzing does not return it, by the first
    toewijzing for the same client, productcategorie and aanbieder on or after the verzoek. The wijk is the
    client's, from the toewijzing's address (a verzoek carries none). -#}
with regels as (
    select
        wet,
        gemeentecode,
        gemeentecode_bericht,
        persoon_pseudoniem,
        productcategorie,
        productcode,
        aanbieder,
        referentie_aanbieder,
        verwijzer_type,
        dagtekening as datum_verzoek,
        begindatum as gewenste_begindatum,
        coalesce(aanbieder || '/' || referentie_aanbieder, bericht_identificatie || '/' || bron_record) as verzoek_id,
        bron_bestand,
        bron_record,
        geladen_op
    from {{ current_deliveries('iwmo_product') }}
    where regelsoort = 'verzoek'
),

laatste as (
    select *
    from (
        select
            *,
            {{ delivery_rank(
                'wet, gemeentecode, persoon_pseudoniem, verzoek_id', prefer='datum_verzoek desc nulls last'
            ) }} as volgorde
        from regels
    ) as r
    where volgorde = 1
),

beantwoord as (
    select
        v.*,
        t.toewijzing_id,
        t.toewijzingsdatum,
        t.wijkcode,
        row_number() over (
            partition by v.wet, v.gemeentecode, v.persoon_pseudoniem, v.verzoek_id
            -- the toewijzing_id last: two toewijzingen of one day would otherwise be chosen by chance, run by run
            order by
                case when t.referentie_aanbieder = v.referentie_aanbieder then 0 else 1 end,
                t.toewijzingsdatum,
                t.toewijzing_id
        ) as keuze
    from laatste as v
    left join {{ ref('toewijzing') }} as t
        on
            v.wet = t.wet and v.gemeentecode = t.gemeentecode and v.aanbieder = t.aanbieder
            and t.persoon_pseudoniem is not distinct from v.persoon_pseudoniem
            and (
                v.referentie_aanbieder = t.referentie_aanbieder
                or (v.productcategorie = t.productcategorie and v.datum_verzoek <= t.toewijzingsdatum)
            )
),

final as (
    select
        v.verzoek_id,
        v.gemeentecode,
        v.wet,
        v.persoon_pseudoniem,
        v.productcategorie,
        v.productcode,
        v.aanbieder,
        v.verwijzer_type,
        vw.code is not null as verwijzer_bekend,
        v.datum_verzoek,
        v.gewenste_begindatum,
        v.toewijzing_id,
        v.toewijzingsdatum,
        v.wijkcode,
        case
            when v.toewijzingsdatum >= v.datum_verzoek
                then {{ days_between('v.datum_verzoek', 'v.toewijzingsdatum') }}
        end as dagen_tot_toewijzing,
        pc.code is not null as productcategorie_bekend,
        coalesce(v.gemeentecode_bericht <> v.gemeentecode, false) as gemeentecode_afwijkend,
        v.bron_bestand,
        v.bron_record
    from beantwoord as v
    left join {{ ref('jeugd_verwijzer') }} as vw on v.wet = 'jeugdwet' and v.verwijzer_type = vw.code
    left join {{ ref('productcategorie') }} as pc on v.wet = pc.wet and v.productcategorie = pc.code
    where v.keuze = 1
)

select * from final
