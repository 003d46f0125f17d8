{#- The productcategorieën of both social-domain laws, each with its law: WMO020 (iWmo) and JZ020 (iJw). -#}
select
    'wmo' as wet,
    code,
    omschrijving
from {{ ref('wmo_productcategorie') }}
union all
select
    'jeugdwet' as wet,
    code,
    omschrijving
from {{ ref('jeugd_productcategorie') }}
