# Three roles, each with one inline policy from policies/ (linted by parliament in CI):
# - Vector (IRSA: only its Kubernetes service account can assume it): put objects under dt=;
# - the job (Lambda): list the dt= prefixes, write manifests, connect to Redshift as one database user;
# - Redshift's COPY role (associate it with the cluster): read the dt= objects and the manifests.

resource "aws_iam_role" "vector" {
  name                 = "coco-event-archive-vector-${var.environment}"
  description          = "Vector DaemonSet (IRSA): writes business events to s3://${local.bucket}/dt=*"
  assume_role_policy   = local.policies["vector-trust"]
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "vector" {
  name   = "write-archive"
  role   = aws_iam_role.vector.id
  policy = local.policies["vector-write"]
}

resource "aws_iam_role" "copy_job" {
  name               = "coco-event-archive-copy-${var.environment}"
  description        = "Hourly COPY job (Lambda ${local.function_name})"
  assume_role_policy = local.policies["copy-job-trust"]
}

resource "aws_iam_role_policy" "copy_job" {
  name   = "list-archive-write-manifests-connect"
  role   = aws_iam_role.copy_job.id
  policy = local.policies["copy-job"]
}

resource "aws_iam_role" "redshift_copy" {
  name               = "coco-event-archive-redshift-copy-${var.environment}"
  description        = "Redshift COPY of s3://${local.bucket} (associate with cluster ${var.redshift_cluster_identifier})"
  assume_role_policy = local.policies["redshift-copy-trust"]
}

resource "aws_iam_role_policy" "redshift_copy" {
  name   = "read-archive"
  role   = aws_iam_role.redshift_copy.id
  policy = local.policies["redshift-copy"]
}
