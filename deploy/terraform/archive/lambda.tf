# The hourly COPY job: cocoevents.warehouse.copyjob.handler (what `coco warehouse load` runs), packaged by
# deploy/lambda/build. Configuration is the environment (COCO_WAREHOUSE_*, COCO_REDSHIFT_*); it connects with IAM
# (redshift:GetClusterCredentials), so no password is stored anywhere.

resource "aws_cloudwatch_log_group" "copy_job" {
  #checkov:skip=CKV_AWS_158:The job's log lines are run summaries (keys, counts, redacted errors); the default CloudWatch Logs encryption is kept rather than a key policy for the logs service.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "copy_job" {
  #checkov:skip=CKV_AWS_116:No dead-letter queue: a failed run has nothing to replay (the event is the empty schedule payload); the next hourly run retries the same keys through the load log, and the errors alarm pages.
  #checkov:skip=CKV_AWS_173:No secret in the environment (IAM auth to Redshift, settings only); the default Lambda encryption at rest is kept.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and a signed upload pipeline; the package is built from this repository by deploy/lambda/build and uploaded by Terraform.
  #checkov:skip=CKV_AWS_50:X-Ray tracing of one short run an hour adds permissions and cost; its logs and run summary are what on-call reads.
  function_name                  = local.function_name
  description                    = "coco: COPY new archive objects into Redshift, exactly once (load log)"
  role                           = aws_iam_role.copy_job.arn
  runtime                        = var.lambda_runtime
  handler                        = "cocoevents.warehouse.copyjob.handler"
  filename                       = var.lambda_zip
  source_code_hash               = filebase64sha256(var.lambda_zip)
  timeout                        = var.job_timeout_seconds
  memory_size                    = var.job_memory_mb
  reserved_concurrent_executions = 1 # one run at a time (runs also queue on the load log's LOCK)

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  environment {
    variables = {
      COCO_WAREHOUSE_BUCKET   = aws_s3_bucket.archive.bucket
      COCO_WAREHOUSE_IAM_ROLE = aws_iam_role.redshift_copy.arn
      COCO_WAREHOUSE_DAYS     = tostring(var.load_window_days)
      COCO_REDSHIFT_IAM       = "1"
      COCO_REDSHIFT_CLUSTER   = var.redshift_cluster_identifier
      COCO_REDSHIFT_HOST      = var.redshift_host
      COCO_REDSHIFT_PORT      = tostring(var.redshift_port)
      COCO_REDSHIFT_DATABASE  = var.redshift_database
      COCO_REDSHIFT_DB_USER   = var.redshift_db_user
      COCO_REDSHIFT_REGION    = var.region
    }
  }

  depends_on = [aws_cloudwatch_log_group.copy_job, aws_iam_role_policy.copy_job]
}

# No automatic retry of a failed run: the next hourly run is the retry (it picks up the same keys), and each
# failure shows once in the Errors alarm instead of three times a minute apart.
resource "aws_lambda_function_event_invoke_config" "copy_job" {
  function_name                = aws_lambda_function.copy_job.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 3600
}
