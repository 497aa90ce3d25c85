-- The fence of Redis rebuilds (docs/ARCHITECTURE.md, "Why stock is never oversold"). A rebuild of a sale's Redis state
-- locks the sale's row (FOR UPDATE), bumps its epoch and reads its orders in one transaction; the Lua state carries the
-- epoch it was built under, and every journal commit locks the row (FOR KEY SHARE) and checks the epoch its orders
-- were decided under. A commit in flight across a rebuild therefore either lands before the rebuild reads (and is
-- counted) or fails (its shoppers get 503, never 201). The epoch is not the row's version: editing a sale does not
-- move it and a rebuild is not an edit.
alter table flash_sales add column epoch bigint not null default 0;
