"""Alert outputs: where alert documents go after dedup, and how they get there reliably.

Pure Python, no Beam. `transforms/deliver.py` is the thin Beam shell around it.

    base.py           the Output interface, DeliveryFailure, the shared secret-safe HTTP POST
    slack_blocks.py   Block Kit messages within Slack's limits, event text escaped
    slack_webhook.py  Slack incoming webhook
    slack_bot.py      Slack chat.postMessage with a bot token, updates as thread replies
    webhook.py        generic JSON webhook, optional HMAC-SHA256 signature and headers
    pagerduty.py      PagerDuty Events API v2, dedup_key = alert_id
    retry.py          the one retry policy every output shares
    rate_limit.py     per-destination pacing
    delivery.py       the loop tying an output, the policy and a limiter together
    settings.py       reading one output's settings; secrets from env vars or files
    routing.py        the --outputs file: outputs, routing by severity, rule destinations
    dead_letters.py   <lake>/_undelivered/ records for alerts that could not be delivered
    archive.py        <lake>/alerts/ Avro archive of every alert and update
    alert_fields.py   responder facts read from an alert's first matching event
    files.py          the file access the last two need (implemented over Beam's FileSystems)
"""
