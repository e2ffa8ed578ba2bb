locals {
  bucket          = "coco-event-logs-${var.environment}"
  function_name   = "coco-event-archive-copy-${var.environment}"
  log_group_name  = "/aws/lambda/${local.function_name}"
  manifest_prefix = "_coco/manifests/" # the job's default; outside the dt= data prefix
  partition       = data.aws_partition.current.partition
  account_id      = data.aws_caller_identity.current.account_id

  # The values every policy template may use (templatefile() fails on a name that is not here).
  policy_vars = {
    partition              = local.partition
    account_id             = local.account_id
    region                 = var.region
    bucket                 = local.bucket
    manifest_prefix        = local.manifest_prefix
    kms_key_arn            = aws_kms_key.archive.arn
    log_group_arn          = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${local.log_group_name}"
    redshift_cluster       = var.redshift_cluster_identifier
    redshift_database      = var.redshift_database
    redshift_db_user       = var.redshift_db_user
    oidc_provider_arn      = var.eks_oidc_provider_arn
    oidc_provider_host     = var.eks_oidc_provider_host
    vector_namespace       = var.vector_namespace
    vector_service_account = var.vector_service_account
  }

  policies = {
    for name in [
      "vector-trust", "vector-write", "copy-job-trust", "copy-job", "redshift-copy-trust", "redshift-copy",
      "bucket",
    ] : name => templatefile("${path.module}/policies/${name}.json", local.policy_vars)
  }
}
