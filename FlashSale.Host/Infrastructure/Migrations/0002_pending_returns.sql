-- Ended orders whose units have not gone back yet. The expiry sweeper looked for them with a NOT EXISTS over the
-- ledger for every expired or cancelled order ever, a sequential scan that grew with the order history (3.5 s at
-- 2.4 M orders). returned_at is set in the same transaction as the 'returned' ledger row, and the partial index
-- holds only the orders still waiting, so the sweep reads a handful of rows however long the history is.
alter table orders add column returned_at timestamptz null;

update orders o set returned_at = l.created_at
from inventory_ledger l
where l.order_id = o.id and l.movement = 'returned' and o.returned_at is null;

create index orders_pending_return on orders (updated_at)
    where status in ('expired', 'cancelled') and returned_at is null;
