"""dbt's home: running it (runner), the manifest (manifest), what each model was built from and what a run
decides to build (rebuild, state), the step that builds (build), the facts and column lineage of what it built
(facts), and why a model was or was not rebuilt (why).

    python -m pipelines.dbt parse           the project's manifest, which Dagster builds the asset graph from
    python -m pipelines.dbt why <model>     why the last run rebuilt the model, or kept it (`make why MODEL=...`)
"""
