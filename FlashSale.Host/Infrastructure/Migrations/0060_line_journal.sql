-- The waiting room's journal (issue 13, item 6: the line survives Redis data loss). Redis holds the live line; these
-- rows are what a rebuild of a sale's Redis state (the same rebuild that restores stock and orders, fenced by the
-- sale's epoch) puts the line back from: the same tickets in the same order, and the same admissions.
-- A join is answered only after its ticket's row committed (group commit: one insert per batch of joins of every
-- sale, never one per join); an admission step's admissions and its "admitted through" are written after the step.
-- No foreign keys, as for orders: rows arrive in batches and the sale was validated before the ticket was handed out.
create table line_tickets (
    flash_sale_id      uuid    not null,
    ticket             bigint  not null,
    user_id            uuid    not null,
    -- The end of the admission window (unix ms) once the line admitted this ticket; null while it was not admitted.
    admitted_until_ms  bigint  null,
    -- The shopper was away long enough to lose the place (the ticket is gone).
    abandoned          boolean not null default false,
    primary key (flash_sale_id, ticket)
);

-- How far each line moved: tickets up to "through" were admitted or skipped (absent shoppers keep theirs).
create table line_progress (
    flash_sale_id uuid   primary key,
    through       bigint not null default 0
);
