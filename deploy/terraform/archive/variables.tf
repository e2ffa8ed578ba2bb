# Every input of the module. Names without a default must be given (e.g. in a <env>.tfvars file).

variable "environment" {
  type        = string
  description = "Environment name (dev, staging, prod); the bucket is coco-event-logs-<environment>."

  validation {
    condition     = can(regex("^[a-z0-9-]{2,20}$", var.environment))
    error_message = "environment: 2-20 lower-case letters, digits or dashes (it is part of the bucket name)."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the bucket, the job and the Redshift cluster (COPY reads the bucket in-region)."
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Extra tags on every resource (the provider adds service and environment)."
}

# --- the bucket ---------------------------------------------------------------------------------------------------

variable "transition_to_ia_days" {
  type        = number
  default     = 90
  description = "Days after which an object moves to S3 Standard-IA (the design: 90). S3 requires at least 30."

  validation {
    condition     = var.transition_to_ia_days >= 30
    error_message = "S3 moves objects to STANDARD_IA no sooner than 30 days after creation."
  }
}

variable "expire_after_days" {
  type        = number
  default     = 730
  description = "Days after which an object is deleted (the design: 2 years). Must be later than the IA move."
}

variable "noncurrent_version_days" {
  type        = number
  default     = 30
  description = "Days a deleted or overwritten object's previous version is kept (versioning is on; see README)."
}

variable "access_log_bucket" {
  type        = string
  default     = null
  description = "Existing bucket for S3 server access logs of the archive (the account's log bucket); null: none."
}

# --- the hourly job -----------------------------------------------------------------------------------------------

variable "lambda_zip" {
  type        = string
  description = "Path of the job's deployment package, built by deploy/lambda/build (see deploy/README.md)."
}

variable "lambda_runtime" {
  type        = string
  default     = "python3.11"
  description = "Lambda runtime; must match the --python-version the package was built for."
}

variable "schedule_expression" {
  type        = string
  default     = "cron(5 * * * ? *)"
  description = "When the job runs: hourly, 5 minutes past (Vector flushes a batch after at most 300 s)."
}

variable "job_timeout_seconds" {
  type        = number
  default     = 900
  description = "Lambda timeout of one run (at most 900); a run that times out rolls back and counts as an error."
}

variable "job_memory_mb" {
  type        = number
  default     = 512
  description = "Lambda memory of the job (it lists S3 and sends SQL; the COPY itself runs in Redshift)."
}

variable "load_window_days" {
  type        = number
  default     = 14
  description = "COCO_WAREHOUSE_DAYS: dt= days before today (UTC) each run lists. The horizon for late events: an object landing in an older dt= folder is loaded by the next run if its folder is within it (see README)."

  validation {
    condition     = var.load_window_days >= 1 && var.load_window_days <= 366 && floor(var.load_window_days) == var.load_window_days
    error_message = "load_window_days: a whole number of days from 1 to 366 (below 1, an event filed under yesterday just after midnight would be missed)."
  }
}

variable "log_retention_days" {
  type        = number
  default     = 365
  description = "Retention of the job's CloudWatch log group."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets the job runs in (they must reach the Redshift cluster, S3 and STS)."
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the job (egress to the cluster's port, and to S3 and STS endpoints)."
}

# --- Redshift -----------------------------------------------------------------------------------------------------

variable "redshift_cluster_identifier" {
  type        = string
  description = "Provisioned cluster the job loads into (IAM auth: redshift:GetClusterCredentials for db_user)."
}

variable "redshift_host" {
  type        = string
  description = "Cluster endpoint host (given, so the driver needs no redshift:DescribeClusters)."
}

variable "redshift_port" {
  type        = number
  default     = 5439
  description = "Cluster port (Redshift's default is 5439)."
}

variable "redshift_database" {
  type        = string
  default     = "dev"
  description = "Database holding analytics.raw_events and the load log."
}

variable "redshift_db_user" {
  type        = string
  default     = "coco_loader"
  description = "Existing database user the job connects as (needs INSERT on the events table and load log)."
}

# --- Vector (IRSA) ------------------------------------------------------------------------------------------------

variable "eks_oidc_provider_arn" {
  type        = string
  description = "ARN of the EKS cluster's IAM OIDC provider (IRSA) that Vector's service account assumes through."
}

variable "eks_oidc_provider_host" {
  type        = string
  description = "Issuer host and path of that provider, without https:// (oidc.eks.<region>.amazonaws.com/id/<ID>)."
}

variable "vector_namespace" {
  type        = string
  default     = "vector"
  description = "Namespace of Vector's service account (the Helm release in ../vector.tf)."
}

variable "vector_service_account" {
  type        = string
  default     = "vector"
  description = "Name of Vector's service account (the chart names it after the release)."
}

# --- alarms -------------------------------------------------------------------------------------------------------

variable "alarm_topic_arns" {
  type        = list(string)
  description = "SNS topics (on-call) the alarms notify, on alarm and on recovery."
}

variable "bucket_size_alarm_bytes" {
  type        = number
  default     = 3298534883328
  description = "Alarm when the archive holds more than this (default 3 TiB: the design expects ~1 TB a year, kept 2 years)."
}

variable "bucket_daily_growth_alarm_bytes" {
  type        = number
  default     = 21474836480
  description = "Alarm when the archive grows by more than this in a day (default 20 GiB, ~7x the design's ~2.8 GB/day)."
}
