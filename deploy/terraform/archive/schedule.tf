# EventBridge runs the job on schedule_expression (hourly by default).

resource "aws_cloudwatch_event_rule" "hourly" {
  name                = "${local.function_name}-hourly"
  description         = "Run the coco COPY job"
  schedule_expression = var.schedule_expression
}

resource "aws_cloudwatch_event_target" "copy_job" {
  rule  = aws_cloudwatch_event_rule.hourly.name
  arn   = aws_lambda_function.copy_job.arn
  input = jsonencode({}) # configuration comes from the function's environment
}

resource "aws_lambda_permission" "eventbridge" {
  statement_id  = "AllowHourlyRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.copy_job.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.hourly.arn
}
