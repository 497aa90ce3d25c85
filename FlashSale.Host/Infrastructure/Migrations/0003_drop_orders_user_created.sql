-- Every index of `orders` costs an entry per order on the purchase path (the journal's COPY). A shopper's order
-- list (where user_id = … order by created_at desc) is served by the unique key (user_id, flash_sale_id,
-- idempotency_key) plus a sort of that shopper's few orders, so the separate (user_id, created_at) index goes.
drop index if exists orders_user_created;
