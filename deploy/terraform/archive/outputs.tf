output "bucket" {
  value       = aws_s3_bucket.archive.bucket
  description = "The archive bucket (Vector's VECTOR_S3_BUCKET; `coco warehouse load --bucket`)."
}

output "kms_key_arn" {
  value       = aws_kms_key.archive.arn
  description = "The archive's KMS key."
}

output "vector_role_arn" {
  value       = aws_iam_role.vector.arn
  description = "Pass to ../vector.tf as vector_role_arn (the service account's IRSA annotation)."
}

output "copy_job_function_name" {
  value       = aws_lambda_function.copy_job.function_name
  description = "The hourly job; invoke it with {\"dry_run\": true} to see its plan and SQL."
}

output "redshift_copy_role_arn" {
  value       = aws_iam_role.redshift_copy.arn
  description = "Associate with the Redshift cluster (aws_redshift_cluster_iam_roles or the console); COPY names it."
}
