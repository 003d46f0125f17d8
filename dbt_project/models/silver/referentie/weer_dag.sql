{#- One row per KNMI station and day in real units, with the day marked as storm, frost or rain day.

    KNMI delivers tenths of a unit and -1 for a trace (< 0.05 mm of rain, < 0.05 hour of sun): a trace counts as 0.
    The thresholds are KNMI's own: a gust of 75 km/h (20.8 m/s) is the inland threshold of a code yellow for
    wind; a minimum below 0 degrees is a vorstdag; 15 mm in a day is a heavy rain day (about the 99th percentile
    of Dutch daily totals). -#}
with bron as (
    select * from {{ current_deliveries('knmi_daggegevens') }}
),

genummerd as (
    select *, {{ delivery_rank('stn, datum') }} as volgorde from bron
),

final as (
    select
        cast(stn as integer) as stn,
        datum,
        fxx / 10.0 as windstoot_max_ms,
        fhx / 10.0 as wind_uurgemiddeld_max_ms,
        fg / 10.0 as wind_gemiddeld_ms,
        tn / 10.0 as temperatuur_min_c,
        tx / 10.0 as temperatuur_max_c,
        tg / 10.0 as temperatuur_gemiddeld_c,
        greatest(rh, 0) / 10.0 as neerslag_mm,
        greatest(sq, 0) / 10.0 as zonneschijn_uur,
        coalesce(fxx >= 208, false) as is_stormdag,
        coalesce(tn < 0, false) as is_vorstdag,
        coalesce(rh >= 150, false) as is_regendag
    from genummerd
    where volgorde = 1
)

select * from final
