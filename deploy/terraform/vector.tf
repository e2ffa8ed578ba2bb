# Vector DaemonSet (Helm) shipping business events to s3://coco-event-logs-<env>/dt=YYYY-MM-DD/.
# Corrected from the seed design: the seed's values file used "{{ s3_bucket }}", which templatefile() does not
# substitute (its syntax is ${...}), and its pipeline filtered on .event without parsing .message first and
# wrote one JSON array per S3 object. The pipeline is now deploy/vector/vector.yaml, read with file() (not
# templatefile) and passed as customConfig; the bucket and region reach it as environment variables.
# When copying into coco-infra/environments/{env}/core/{region}/eks/, copy vector.yaml too and fix local.pipeline.

variable "environment" {
  type        = string
  description = "Environment name: dev, staging, prod."
}

variable "region" {
  type        = string
  description = "AWS region of the cluster and the bucket."
}

variable "vector_role_arn" {
  type        = string
  description = "IAM role for Vector's service account (IRSA), allowed s3:PutObject on the archive bucket."
}

variable "vector_chart_version" {
  type        = string
  description = "Pinned version of the vector Helm chart (check the chart's values schema when bumping)."
}

locals {
  pipeline = "${path.module}/../vector/vector.yaml"
}

resource "helm_release" "vector" {
  namespace        = "vector"
  create_namespace = true
  name             = "vector"
  chart            = "vector"
  repository       = "https://helm.vector.dev"
  version          = var.vector_chart_version

  values = [
    templatefile("${path.module}/vector-values.yaml", {
      s3_bucket       = "coco-event-logs-${var.environment}"
      aws_region      = var.region
      vector_role_arn = var.vector_role_arn
    }),
    yamlencode({ customConfig = yamldecode(file(local.pipeline)) }),
  ]
}
