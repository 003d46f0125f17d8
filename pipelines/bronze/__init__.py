"""Landing -> bronze: parsers per source system, the shared ingestion mechanism, and the table definitions."""

import os

import pyarrow as pa

# Bronze reads large exports column-wise with Arrow. Its default allocator (mimalloc) made that several times
# slower the first time in a process (a 48 MB GBA extract: 0.7 s against 0.16 s) and the BRP ingest a third
# slower as a whole; the C library's allocator was as fast as jemalloc, and exists on every platform
# (benchmarks/README). A pool named in Arrow's own setting is left as it is.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    pa.set_memory_pool(pa.system_memory_pool())
