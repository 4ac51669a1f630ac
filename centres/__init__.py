"""What the district working group does, whatever surface a member uses (Telegram, LINE, SMS commands, the web,
the API): routing a report to its centre, alerting it exactly once, actions on a case, asking the reporter,
membership and invites, escalation, digests and broadcasts."""
