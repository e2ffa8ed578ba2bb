"""The Redshift side of the archive: table layout, load log and the hourly COPY job.

- ``ddl``: the corrected ``raw_events`` table, its load-log table, the staging
  table, the COPY statement (``FORMAT JSON 'noshred'``) and the typing insert
  (pure text, no I/O).
- ``plan``: which S3 keys a run should load - listing the recent ``dt=`` prefixes
  with boto3, skipping keys already in the load log, building one manifest per
  compression (gzip, zstd).
- ``copyjob``: running a plan in one database transaction, and the Lambda-style
  ``handler(event, context)``.
- ``connect``: opening a ``redshift_connector`` connection from the environment.

Nothing here imports boto3 or redshift_connector at module level.
"""
