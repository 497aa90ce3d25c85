-- Every change of a sale bumps its version. Hosts relay changes with it and Redis' meta keeps it, so a change that
-- arrives late (two PATCHes racing, a relay message overtaken by a resync) never replaces a newer one.
alter table flash_sales add column version bigint not null default 1;
