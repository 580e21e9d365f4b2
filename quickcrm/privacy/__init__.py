"""Privacy (AVG/GDPR, issue 29): what QuickCRM holds about a person, opt-outs, the
retention periods and their purge."""
