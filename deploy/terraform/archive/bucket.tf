# s3://coco-event-logs-<env>: Vector writes dt=YYYY-MM-DD/<epoch>-<uuid>.log.gz; the job writes its manifests
# under _coco/manifests/. Private, encrypted with the archive key, versioned, and aged out by the lifecycle below.

resource "aws_s3_bucket" "archive" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not wanted: the archive is the second copy of these events (Datadog keeps the logs; the design's rollback loses nothing), and a replica would double its storage.
  #checkov:skip=CKV2_AWS_62:No consumer of object-created notifications: the loader runs on a schedule and lists the dt= prefixes.
  bucket = local.bucket
}

resource "aws_s3_bucket_ownership_controls" "archive" {
  bucket = aws_s3_bucket.archive.id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: access is decided by IAM and the bucket policy only
  }
}

resource "aws_s3_bucket_public_access_block" "archive" {
  bucket                  = aws_s3_bucket.archive.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.archive.arn
    }
    bucket_key_enabled = true
  }
}

# Versioning on: an object deleted or overwritten by mistake (a misconfigured sink, a human) stays recoverable for
# noncurrent_version_days. Vector never overwrites (each key carries a UUID), so versions cost nothing otherwise.
resource "aws_s3_bucket_versioning" "archive" {
  bucket = aws_s3_bucket.archive.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id

  rule {
    id     = "events-to-ia-then-expire"
    status = "Enabled"
    filter {}

    transition {
      days          = var.transition_to_ia_days
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.expire_after_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"
    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.archive]

  lifecycle {
    precondition {
      condition     = var.expire_after_days > var.transition_to_ia_days
      error_message = "expire_after_days must be later than transition_to_ia_days."
    }
  }
}

resource "aws_s3_bucket_policy" "archive" {
  bucket     = aws_s3_bucket.archive.id
  policy     = local.policies["bucket"]
  depends_on = [aws_s3_bucket_public_access_block.archive]
}

resource "aws_s3_bucket_logging" "archive" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.archive.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${local.bucket}/"
}
