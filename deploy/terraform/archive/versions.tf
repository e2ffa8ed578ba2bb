# The event archive and its hourly loader: the S3 bucket Vector writes to, the Lambda that COPYs new objects into
# Redshift every hour, the IAM roles of Vector, the job and Redshift, and the CloudWatch alarms. A root module of
# its own (only the AWS provider), apart from ../vector.tf (the Helm release, which needs the Helm provider).
# Every IAM and bucket/key policy is a JSON template in policies/, read with templatefile(), so that the policy
# linter (parliament) reads the same documents; see deploy/README.md, "The archive in Terraform".

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ service = "coco-event-archive", environment = var.environment }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
