-- Notifications (issue 16). Every notifiable change writes an outbox row in the transaction that makes the change:
-- the journal's commit for reservations (binary COPY, batched), the conditional updates of pay, cancel and expiry,
-- the reminder scheduler for a sale about to open, a trigger for a sale's price drop. A dispatcher on every host
-- claims due rows (FOR UPDATE SKIP LOCKED), sends them and marks them; a failed send is retried with backoff and
-- after Notify:MaxAttempts the row is 'dead' (listed for the admin). The natural key (kind, subject, user, version)
-- is unique, so a replayed change never queues a second message, and it is the stable Message-Id of the email.
create table notification_outbox (
    id              bigint generated always as identity primary key,
    kind            text not null check (kind in ('reserved', 'paid', 'expired', 'cancelled', 'sale_opening', 'price_drop')),
    user_id         uuid not null,
    -- The order for order kinds, the sale for sale kinds.
    subject_id      uuid not null,
    -- Tells apart two messages of one kind about one subject (a sale's second price drop: the sale's version).
    subject_version bigint not null default 0,
    created_at      timestamptz not null default now(),
    state           text not null default 'pending' check (state in ('pending', 'sent', 'skipped', 'dead')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    sent_at         timestamptz null,
    last_error      text null,
    constraint notification_outbox_once unique (kind, subject_id, user_id, subject_version)
);
-- What the dispatcher claims: only pending rows are in it, so its cost does not grow with the messages ever sent.
create index notification_outbox_due on notification_outbox (next_attempt_at) where state = 'pending';
create index notification_outbox_user on notification_outbox (user_id, id desc);
create index notification_outbox_dead on notification_outbox (id desc) where state = 'dead';

-- A shopper's "tell me when this sale opens". enqueued_at is set when the reminder's outbox row is written.
create table sale_reminders (
    flash_sale_id uuid not null references flash_sales (id) on delete cascade,
    user_id       uuid not null references users (id) on delete cascade,
    created_at    timestamptz not null,
    primary key (flash_sale_id, user_id)
);
-- When the scheduler queued the sale's opening reminders (null: not yet); one statement per sale, so 100,000
-- reminders are one insert, and the dispatcher paces their sending.
alter table flash_sales add column reminders_queued_at timestamptz null;

-- The kinds a shopper turned off; absent means on. Rows of a kind turned off are marked 'skipped', never sent.
create table notification_opt_outs (
    user_id    uuid not null references users (id) on delete cascade,
    kind       text not null check (kind in ('reserved', 'paid', 'expired', 'cancelled', 'sale_opening', 'price_drop')),
    created_at timestamptz not null,
    primary key (user_id, kind)
);

-- A price drop tells the shoppers who asked to hear about the sale, in the transaction of the change itself. A
-- trigger, because an edit of a sale is rare (the cost does not matter) and every writer of flash_sales is covered.
create function notify_price_drop() returns trigger language plpgsql as $$
begin
    if new.sale_price < old.sale_price then
        insert into notification_outbox (kind, user_id, subject_id, subject_version)
        select 'price_drop', r.user_id, new.id, new.version from sale_reminders r where r.flash_sale_id = new.id
        on conflict do nothing;
    end if;
    return null;
end $$;
create trigger flash_sales_price_drop after update of sale_price on flash_sales
    for each row when (new.sale_price < old.sale_price) execute function notify_price_drop();
