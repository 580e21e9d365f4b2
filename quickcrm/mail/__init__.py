"""Mail: rendering into the outbox, transports (smtp, maildir), delivery, bounces.

Entry points for other areas: ``outbox.queue_message`` / ``outbox.queue_many`` (in the
caller's transaction), ``delivery.deliver`` (after the caller commits), ``hooks.on`` (learn
that a message was sent, bounced or failed), ``bounces.ingest`` (bounce mailboxes).
"""
