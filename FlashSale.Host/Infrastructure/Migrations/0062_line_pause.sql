-- An operator's pause of a line survives a Redis data loss (issue 13). The pause was a flag in Redis only, so a
-- FLUSHALL and the rebuild of the line from this journal brought the line back unpaused: an emergency stop silently
-- lifted. Pause and resume now write here first, then Redis; pause_version grows with every write, and Redis takes
-- only a newer version than the one it holds, so two operators (or hosts) racing converge on the last write here.
-- The rebuild (PostgresSaleStateReader) restores the flag with its version.
alter table line_progress
    add column paused        boolean not null default false,
    add column pause_version bigint  not null default 0;
