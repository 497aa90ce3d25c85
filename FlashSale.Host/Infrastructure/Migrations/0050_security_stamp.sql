-- Revocation (issue 11). Every access token carries its user's security stamp; signing out everywhere, changing
-- the password and a refresh-token reuse bump it, so the user's older access tokens and open sockets stop working.
alter table users add column security_stamp integer not null default 0;

-- A refresh-token family (one sign-in) ends at a fixed time however often it is rotated. Rows of older versions have
-- no value here; the code then caps them from the family's first token.
alter table refresh_tokens add column family_expires_at timestamptz null;
create index refresh_tokens_user on refresh_tokens (user_id) where revoked_at is null;
