-- FlashSale schema, version 1.
-- Money is numeric(12,2); times are timestamptz (UTC); ids are UUIDs (v7 where we mint them).

create table users (
    id               uuid primary key,
    email            text not null,
    email_normalized text not null unique,
    display_name     text not null,
    password_hash    text not null,
    role             text not null check (role in ('shopper', 'admin')),
    created_at       timestamptz not null
);

-- Refresh tokens are stored only as the SHA-256 of the token. Every token belongs to a family (one sign-in);
-- presenting a token that was already rotated revokes the whole family.
create table refresh_tokens (
    id             uuid primary key,
    user_id        uuid not null references users (id) on delete cascade,
    family_id      uuid not null,
    token_hash     bytea not null unique,
    created_at     timestamptz not null,
    expires_at     timestamptz not null,
    rotated_at     timestamptz null,
    revoked_at     timestamptz null,
    revoked_reason text null
);
create index refresh_tokens_family on refresh_tokens (family_id);

create table products (
    id          uuid primary key,
    name        text not null,
    description text not null,
    base_price  numeric(12, 2) not null check (base_price >= 0),
    image_url   text null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);

create table flash_sales (
    id                        uuid primary key,
    product_id                uuid not null references products (id),
    sale_price                numeric(12, 2) not null check (sale_price >= 0),
    total_stock               integer not null check (total_stock > 0),
    per_user_limit            integer not null check (per_user_limit > 0),
    starts_at                 timestamptz not null,
    ends_at                   timestamptz not null,
    payment_window_seconds    integer not null default 600 check (payment_window_seconds > 0),
    waiting_room              boolean not null default false,
    admission_rate_per_second integer not null default 50 check (admission_rate_per_second > 0),
    admission_window_seconds  integer not null default 120 check (admission_window_seconds > 0),
    created_at                timestamptz not null,
    updated_at                timestamptz not null,
    check (ends_at > starts_at)
);
create index flash_sales_window on flash_sales (starts_at, ends_at);

-- The orders table is the durable journal of every unit Redis (or the in-process authority) accepted.
-- It has no foreign keys on purpose: rows arrive by binary COPY in batches of thousands, the sale and the
-- user were validated before the stock decision, and a per-row FK trigger would halve the commit rate.
create table orders (
    id              uuid primary key,
    flash_sale_id   uuid not null,
    user_id         uuid not null,
    quantity        integer not null check (quantity > 0),
    unit_price      numeric(12, 2) not null check (unit_price >= 0),
    total_price     numeric(12, 2) not null check (total_price >= 0),
    status          text not null check (status in ('reserved', 'paid', 'expired', 'cancelled')),
    idempotency_key text not null,
    created_at      timestamptz not null,
    expires_at      timestamptz not null,
    updated_at      timestamptz not null,
    unique (user_id, flash_sale_id, idempotency_key)
);
create index orders_user_created on orders (user_id, created_at desc);
create index orders_sale on orders (flash_sale_id);
create index orders_reserved_expiry on orders (expires_at) where status = 'reserved';

create table payments (
    id          uuid primary key,
    order_id    uuid not null references orders (id),
    amount      numeric(12, 2) not null,
    outcome     text not null check (outcome in ('approved', 'declined', 'insufficient_funds', 'error')),
    card_last4  text null,
    created_at  timestamptz not null
);
create index payments_order on payments (order_id);

-- Every stock movement of a sale, with the order it belongs to (null for the sale's creation).
create table inventory_ledger (
    id            bigint generated always as identity primary key,
    flash_sale_id uuid not null,
    order_id      uuid null,
    movement      text not null check (movement in ('sale_created', 'reserved', 'paid', 'expired', 'cancelled', 'returned', 'adjusted')),
    quantity      integer not null,
    created_at    timestamptz not null
);
create index inventory_ledger_sale on inventory_ledger (flash_sale_id);
create unique index inventory_ledger_once on inventory_ledger (order_id, movement) where order_id is not null;
