{#- How iWmo names a toewijzing. iWmo 3.x (and the case system) give it a ToewijzingNummer. iWmo 2.x has none:
    there a toewijzing is its beschikking, product code, aanbieder and ingangsdatum. The ingangsdatum belongs in
    it because one beschikking can be assigned to the same aanbieder for the same product in two periods (a
    herindicatie, a move between municipalities): without it the two periods shared a key and one was lost.
    A 2.x start or stop names the toewijzing by the same four (its Ingangsdatum or ToewijzingIngangsdatum is the
    toewijzing's ingangsdatum). -#}
{% macro iwmo_toewijzing_id() -%}
    coalesce(toewijzingnummer, beschikkingnummer || '/' || productcode || '/' || aanbieder || '/'
             || coalesce(cast(ingangsdatum as varchar), ''))
{%- endmacro %}

{#- A toewijzing the municipality deleted: iWmo 3.x WMO002 RedenWijziging 13 "verwijderd" (einddatum set to
    the ingangsdatum; the toewijzing counts as never sent, OP033x1). The 2.x codelists have no such code. -#}
{% macro iwmo_verwijderd(reden_wijziging, versie) -%}
    ({{ reden_wijziging }} = '13' and {{ versie }} >= '3')
{%- endmacro %}

{#- The wijk of a four-digit postcode area: a postcode area may touch several wijken; the first by code stands in. -#}
{% macro wijk_via_postcode() -%}
    (select gemeentecode, postcode4, min(wijkcode) as wijkcode from {{ ref('wijk_buurt') }} group by all)
{%- endmacro %}
