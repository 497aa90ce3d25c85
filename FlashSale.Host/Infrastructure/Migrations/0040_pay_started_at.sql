-- When a payment of a reserved order last started (PostgreSQL's clock), null when none is in flight. Pay marks it in
-- one statement before it calls the gateway and holds no row lock during the charge; the expiry sweeper leaves a
-- marked order alone for Orders:PaymentGraceSeconds and then asks the gateway (the order id is the charge's
-- idempotency key) before it expires it, so a charge whose commit failed completes the order instead of expiring it
-- with the money taken. Nullable without a default: adding it rewrites nothing, and the journal's COPY does not name it.
alter table orders add column pay_started_at timestamptz null;
