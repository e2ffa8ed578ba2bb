# On-call alarms: a failed run, no run at all, a schedule that cannot invoke the job, and the archive's size.

locals {
  alarm_actions = var.alarm_topic_arns
}

resource "aws_cloudwatch_metric_alarm" "job_errors" {
  alarm_name          = "${local.function_name}-failed-run"
  alarm_description   = "A COPY run failed and rolled back (its log has the step and the error); the next hourly run retries the same objects."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.copy_job.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "job_not_running" {
  alarm_name          = "${local.function_name}-not-running"
  alarm_description   = "The COPY job was not invoked for two hours: events stop reaching Redshift."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = aws_lambda_function.copy_job.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "schedule_failed_invocations" {
  alarm_name          = "${local.function_name}-schedule-failed"
  alarm_description   = "EventBridge could not invoke the COPY job (permission, throttling or a deleted function)."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.hourly.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# S3 storage metrics are daily; Standard and Standard-IA are separate series (FILL: IA is empty for 90 days).
resource "aws_cloudwatch_metric_alarm" "bucket_size" {
  alarm_name          = "${local.bucket}-size"
  alarm_description   = "The event archive holds more than expected: check Vector's filter (only lines with an event should ship) and the lifecycle rule."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.bucket_size_alarm_bytes
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "total"
    expression  = "FILL(standard, 0) + FILL(ia, 0)"
    label       = "Archive bytes"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { standard = "StandardStorage", ia = "StandardIAStorage" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/S3"
        metric_name = "BucketSizeBytes"
        dimensions  = { BucketName = aws_s3_bucket.archive.bucket, StorageType = metric_query.value }
        period      = 86400
        stat        = "Average"
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "bucket_daily_growth" {
  alarm_name          = "${local.bucket}-daily-growth"
  alarm_description   = "The event archive grew faster than expected in a day: a producer logging far more events, or debug lines passing Vector's filter."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.bucket_daily_growth_alarm_bytes
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "growth"
    expression  = "DIFF(FILL(standard, 0) + FILL(ia, 0))"
    label       = "Archive growth per day (bytes)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { standard = "StandardStorage", ia = "StandardIAStorage" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/S3"
        metric_name = "BucketSizeBytes"
        dimensions  = { BucketName = aws_s3_bucket.archive.bucket, StorageType = metric_query.value }
        period      = 86400
        stat        = "Average"
      }
    }
  }
}
