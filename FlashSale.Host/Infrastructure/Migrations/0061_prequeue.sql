-- Pre-queue with a fair draw (issue 13, item 1). A sale with prequeue_seconds > 0 takes entrants from
-- starts_at - prequeue_seconds; at starts_at one host draws their order from a seed picked at the sale's creation,
-- whose SHA-256 (fairness_seed_hash) is public from the start and the seed itself only after the draw.
alter table flash_sales
    add column prequeue_seconds   int  not null default 0 check (prequeue_seconds >= 0),
    add column fairness_seed      text null,
    add column fairness_seed_hash text null;

-- Shoppers who joined the pre-queue (journaled before their join is answered, like tickets: the draw survives a loss
-- of Redis' data). After the draw their tickets are in line_tickets.
create table line_entrants (
    flash_sale_id uuid not null,
    user_id       uuid not null,
    primary key (flash_sale_id, user_id)
);

-- The draw of a sale: how many entrants, the SHA-256 of their sorted id list, when. Its presence makes the seed public.
create table line_draws (
    flash_sale_id uuid        primary key,
    entrants      int         not null,
    list_digest   text        not null,
    drawn_at      timestamptz not null
);
