"""Event sources: where timelines read events from (the local DuckDB store, Amazon Redshift)."""
