-- Retention of the outbox (issue 16): the dispatcher deletes messages finished (sent or skipped) longer ago than
-- Notify:RetentionHours. A finished row's next_attempt_at is when it finished. The index holds only finished rows,
-- so the pending rows the purchase path writes never touch it, and finding the old ones never reads the rest.
create index notification_outbox_finished on notification_outbox (next_attempt_at) where state in ('sent', 'skipped');
