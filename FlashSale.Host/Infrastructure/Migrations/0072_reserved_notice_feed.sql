-- The "reserved" notice is derived from the orders row itself (issue 16 follow-up): the journal's commit no longer
-- writes an outbox row per reservation (a second heap row, four index entries and their WAL in every purchase's
-- commit). Instead each order carries the id of the transaction that inserted it, and a feeder (one host at a time,
-- the row lock of notification_feeds) materialises the outbox rows of the orders whose transaction ended since its
-- watermark, advancing the watermark in the same transaction as the insert: exactly once into the outbox, and a
-- host dying after the commit loses nothing (the orders row is the durable notice until it is fed).
--
-- journal_xact is the 64-bit (epoch-extended, never wrapping) transaction id, as bigint so BRIN can index it. The
-- default is evaluated per row; every writer of orders (the journal's COPY, its staging insert, the reconciler's
-- replays through the journal) gets it without naming the column. Added without a default first, then the default
-- set: no rewrite of the existing table, and the existing orders (already notified by the old commit) stay null,
-- which no feed ever reads. Nullable also because the journal's staging table is `like orders` and never fills it.
alter table orders add column journal_xact bigint;
alter table orders alter column journal_xact set default (pg_current_xact_id()::text::bigint);

-- What the feeder reads: the orders of the transactions ended since its watermark. BRIN, not btree: the values only
-- grow with the heap's tail, so the index is a few pages and an insert almost never touches it (no per-purchase
-- index entry, unlike a btree). autosummarize keeps the ranges behind the tail summarised, so a pass reads the tail.
create index orders_journal_xact on orders using brin (journal_xact) with (pages_per_range = 32, autosummarize = on);

-- One row per derived kind: every order whose journal_xact is below the watermark has had its notice queued. Moved
-- only to pg_snapshot_xmin of the feeding statement (every transaction below it has ended), so an order committed
-- late by a transaction that started early (another host's writer, the reconciler) is never jumped over.
create table notification_feeds (
    name      text primary key check (name in ('reserved')),
    watermark bigint not null
);
-- 0: every order inserted after this migration has a journal_xact and is fed; the ones before it stay null.
insert into notification_feeds (name, watermark) values ('reserved', 0);
