# The archive's own KMS key (SSE-KMS with an S3 Bucket Key, so S3 asks KMS for a data key per bucket and hour
# rather than per object). Its key policy lets the account administer it through IAM; the three roles get only
# what they use of it, in their own policies, and only through S3 (kms:ViaService).
resource "aws_kms_key" "archive" {
  description             = "coco event archive s3://${local.bucket}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = templatefile("${path.module}/policies/archive-key.json", {
    partition  = local.partition
    account_id = local.account_id
  })
}

resource "aws_kms_alias" "archive" {
  name          = "alias/${local.bucket}"
  target_key_id = aws_kms_key.archive.key_id
}
