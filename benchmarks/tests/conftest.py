"""The benchmark's own tests; those on a built demo use the product's test fixtures."""

from tests.conftest import built_demo, collect_what_loading_the_definitions_froze, demo_run  # noqa: F401
