"""Storage: parquet tables and safetensors weights by run id, atomic writes, safe decoding of store files.
No torch."""
